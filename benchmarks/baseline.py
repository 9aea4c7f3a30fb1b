"""The hand-written pipeline every cycle scenario is measured against: the same unavoidable work as an
idsync cycle over ``schemas/users_groups_sql.json``, written as plain Python with no engine code.

Initial cycle: decode the source, skip disabled and soft-deleted users (Entra does not provision them),
compute the target values with plain Python (``map_user`` / ``map_group`` mirror the schema's mappings
one for one), insert the target rows in batches, record the links (source id -> target id + the exported
values) in a SQLite state file in batches, then resolve references (manager, members) through the links.
Dry run: decode, compute, look the links up, build the plan in memory; nothing is written. Incremental:
read the users whose indexed change column is at or after the watermark, compute, diff against the stored
values, update only the changed target columns and the links' stored values.

The target and state layouts are ``benchmarks._target``'s (the same target tables idsync writes through
the ``sql`` connector); the baseline keeps its own link table, since idsync's state schema is its own.
"""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import _target
from ._baseline_sources import chunks, max_change, read_sqlite, source_records
from ._formats import CHANGE_COLUMN, USER_COLUMNS

__all__ = ["BaselineCounts", "dry_run", "incremental", "initial", "is_soft_deleted", "map_group", "map_user"]

Values = dict[str, str | list[str]]


@dataclass(frozen=True, slots=True)
class BaselineCounts:
    created: int = 0
    updated: int = 0
    skipped: int = 0

    @property
    def objects(self) -> int:
        return self.created + self.updated + self.skipped


def is_soft_deleted(user: dict[str, Any]) -> bool:
    """Spec §D.4: a disabled or recycle-bin user (no scoping filter, everyone assigned)."""
    return user.get("accountEnabled") is False or user.get("deletedDateTime") is not None


def _join(separator: str, *values: Any) -> str:
    parts: list[str] = []
    for value in values:
        parts.extend(str(v) for v in (value if isinstance(value, list) else [value]) if v not in (None, ""))
    return separator.join(parts)


def map_user(user: dict[str, Any]) -> Values:
    """The User mapping of the schema, by hand; manager stays a *source* id (resolved later)."""
    given, surname = user.get("givenName") or "", user.get("surname") or ""
    values: dict[str, Any] = {
        "userName": user.get("userPrincipalName"),
        "active": "False" if is_soft_deleted(user) else "True",
        "displayName": user.get("displayName"),
        "givenName": user.get("givenName"),
        "familyName": user.get("surname"),
        "email": user["mail"].lower() if user.get("mail") is not None else None,
        "title": user.get("jobTitle"),
        "department": user.get("department"),
        "employeeNumber": user.get("employeeId"),
        "phone": user.get("mobilePhone"),
        "location": _join(", ", user.get("city"), user.get("country")),
        "initials": _join("", given[:1], surname[:1]),
        "aliases": _join(";", user.get("proxyAddresses")),
        "usageLocation": user["usageLocation"].upper() if user.get("usageLocation") is not None else None,
        "manager": user.get("manager"),
    }
    return {name: value for name, value in values.items() if value is not None}


def map_group(group: dict[str, Any]) -> Values:
    """The Group mapping of the schema, by hand; members stay *source* ids (resolved later)."""
    values: dict[str, Any] = {
        "displayName": group.get("displayName"),
        "mailNickname": group.get("mailNickname"),
        "description": group.get("description"),
        "members": list(group.get("members") or []),
    }
    return {name: value for name, value in values.items() if value is not None}


# -- the three pipelines --------------------------------------------------------------------------------


def initial(source: Path, target_db: Path, state_db: Path) -> BaselineCounts:
    """Full initial cycle into empty target tables; returns what it did."""
    users, groups = source_records(source)
    target, state = sqlite3.connect(target_db), _target.open_state(state_db)
    try:
        links: dict[str, str] = {}
        pending_managers: list[tuple[str, str]] = []
        created, skipped = 0, 0
        for chunk in chunks(users):
            rows = []
            mapped = [(user, map_user(user)) for user in chunk if not is_soft_deleted(user)]
            skipped += len(chunk) - len(mapped)
            _refuse_matches(target, "User", [str(values["userName"]) for _, values in mapped])
            for user, values in mapped:
                manager = values.pop("manager", None)
                target_id = str(uuid.uuid4())
                links[user["id"]] = target_id
                if isinstance(manager, str):
                    pending_managers.append((target_id, manager))
                rows.append((user["id"], target_id, values))
            _target.insert_rows(target, "User", rows)
            _target.insert_links(state, "User", rows)
            created += len(rows)
            target.commit()
            state.commit()
        _resolve_managers(target, state, pending_managers, links)
        created += _initial_groups(target, state, groups, links)
        if source.suffix != ".json":
            _target.save_watermark(state, max_change(source))
            state.commit()
    finally:
        target.close()
        state.close()
    return BaselineCounts(created=created, skipped=skipped)


def _resolve_managers(
    target: sqlite3.Connection,
    state: sqlite3.Connection,
    pending: list[tuple[str, str]],
    links: dict[str, str],
) -> None:
    resolved = [(links[manager], target_id) for target_id, manager in pending if manager in links]
    for chunk in chunks(resolved):
        target.executemany('UPDATE "target_users" SET "manager" = ? WHERE "id" = ?', chunk)
        state.executemany(
            "UPDATE links SET essence = json_set(essence, '$.manager', ?) WHERE target_id = ?", chunk
        )
        target.commit()
        state.commit()


def _refuse_matches(target: sqlite3.Connection, object_type: str, values: list[str]) -> None:
    """The matching step of an initial cycle: these scenarios start from an empty target, so a hit is a
    setup mistake; the query is made anyway because a real cycle cannot skip it."""
    found = _target.match_existing(target, object_type, values)
    if found:
        raise RuntimeError(
            f"{len(found)} {object_type} objects already in the target (e.g. {next(iter(found))})"
        )


def _initial_groups(
    target: sqlite3.Connection,
    state: sqlite3.Connection,
    groups: Iterable[dict[str, Any]],
    links: dict[str, str],
) -> int:
    created = 0
    for chunk in chunks(groups):
        rows = []
        mapped = [(group, map_group(group)) for group in chunk]
        _refuse_matches(target, "Group", [str(values["displayName"]) for _, values in mapped])
        for group, values in mapped:
            members = values.get("members", [])
            values["members"] = [links[m] for m in members if m in links]
            rows.append((group["id"], str(uuid.uuid4()), values))
        _target.insert_rows(target, "Group", rows)
        _target.insert_links(state, "Group", rows)
        created += len(rows)
        target.commit()
        state.commit()
    return created


def dry_run(source: Path, state_db: Path, target_db: Path) -> BaselineCounts:
    """The whole plan (creates for unlinked objects, updates for changed linked ones); writes nothing."""
    users, groups = source_records(source)
    known: dict[str, Values] = {}
    if state_db.exists():  # no state yet: an initial dry run (and nothing may be created by looking)
        state = _target.open_state(state_db)
        try:
            known = _target.load_essences(state)
        finally:
            state.close()
    plan: list[tuple[str, str, Values]] = []
    target = sqlite3.connect(target_db)
    try:
        for chunk in chunks(users):
            mapped = [(user["id"], map_user(user)) for user in chunk if not is_soft_deleted(user)]
            plan.extend(("skip", user["id"], {}) for user in chunk if is_soft_deleted(user))
            plan.extend(_plan_chunk(target, "User", mapped, known))
        for chunk in chunks(groups):
            plan.extend(_plan_chunk(target, "Group", [(g["id"], map_group(g)) for g in chunk], known))
    finally:
        target.close()
    return BaselineCounts(
        created=sum(1 for action, _, _ in plan if action == "create"),
        updated=sum(1 for action, _, _ in plan if action == "update"),
        skipped=sum(1 for action, _, _ in plan if action in ("skip", "noop")),
    )


def _plan_chunk(
    target: sqlite3.Connection, object_type: str, mapped: list[tuple[str, Values]], known: dict[str, Values]
) -> list[tuple[str, str, Values]]:
    """Decisions for a batch; unlinked objects are matched against the target first (one query)."""
    key = _target.MATCHING[object_type]
    unlinked = [str(values[key]) for source_id, values in mapped if source_id not in known]
    matched = _target.match_existing(target, object_type, unlinked)
    return [_decide(source_id, values, known, matched.get(str(values[key]))) for source_id, values in mapped]


def _decide(
    source_id: str, values: Values, known: dict[str, Values], matched: str | None
) -> tuple[str, str, Values]:
    old = known.get(source_id)
    if old is None:
        return ("update" if matched else "create"), source_id, values
    changes = {k: v for k, v in values.items() if k not in ("manager", "members") and old.get(k) != v}
    return ("update", source_id, changes) if changes else ("noop", source_id, {})


def incremental(source_db: Path, target_db: Path, state_db: Path) -> BaselineCounts:
    """Users changed at or after the stored watermark in a SQLite source (the indexed change column): diff
    against the links, update the changed target columns, then advance the watermark."""
    target, state = sqlite3.connect(target_db), _target.open_state(state_db)
    since, newest = _target.load_watermark(state), None
    updated = unchanged = 0
    try:
        for chunk in chunks(read_sqlite(source_db, "users", (*USER_COLUMNS, CHANGE_COLUMN), since)):
            newest = max([newest or "", *(user[CHANGE_COLUMN] for user in chunk)])
            updates, same = _user_updates(chunk, _target.essences_for(state, [user["id"] for user in chunk]))
            _target.apply_updates(target, state, updates)
            updated, unchanged = updated + len(updates), unchanged + same
            target.commit()
            state.commit()
        if newest:
            _target.save_watermark(state, newest)
            state.commit()
    finally:
        target.close()
        state.close()
    return BaselineCounts(updated=updated, skipped=unchanged)


def _user_updates(
    chunk: list[dict[str, Any]], essences: dict[str, tuple[str, dict[str, Any]]]
) -> tuple[list[tuple[str, dict[str, Any], dict[str, Any]]], int]:
    updates, unchanged = [], 0
    for user in chunk:
        if user["id"] not in essences:
            continue  # a new or never-provisioned user: not part of these scenarios' changes
        link_target, old = essences[user["id"]]
        values = map_user(user)
        values.pop("manager", None)  # managers do not change in these scenarios
        changes = {k: v for k, v in values.items() if old.get(k) != v}
        if changes:
            updates.append((link_target, changes, {**old, **changes}))
        else:
            unchanged += 1
    return updates, unchanged
