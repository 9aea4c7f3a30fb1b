"""The hand-written pipeline the file scenarios (``scenario_files``) are measured against: an initial cycle
json -> json or csv -> json over ``schemas/users_groups_sql.json`` (the ``SQL Target`` directory bound to a
json file), written as plain Python with no engine code.

Decode the source (``json.load``, or ``csv.DictReader`` with the feed's ``;`` lists and ``true``/``false``
text), skip disabled and soft-deleted users, compute the target values (``baseline.map_user`` /
``map_group``), give each new object a uuid4 id, record the links in a SQLite state file in batches, resolve
the references (manager, members) through them, and write the target file once, compact, atomically
(temporary file, fsync, rename): the work a user would write by hand for a one-off export.
"""

from __future__ import annotations

import csv
import json
import os
import uuid
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from . import _target
from ._baseline_sources import chunks, read_json
from ._formats import BOOLEAN_COLUMNS, LIST_COLUMNS
from .baseline import BaselineCounts, is_soft_deleted, map_group, map_user

__all__ = ["initial", "read_csv"]


def read_csv(path: Path) -> Iterator[dict[str, Any]]:
    """The generator's csv feed as records: empty cells absent, lists split on ``;``, Booleans decoded."""
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            record: dict[str, Any] = {}
            for name, cell in row.items():
                if cell == "":
                    continue
                if name in LIST_COLUMNS:
                    record[name] = cell.split(";")
                elif name in BOOLEAN_COLUMNS:
                    record[name] = cell == "true"
                else:
                    record[name] = cell
            yield record


def initial(source: Path, target: Path, state_db: Path) -> BaselineCounts:
    """An initial cycle from ``source`` (.json: users and groups; .csv: users) into a new json file."""
    users: Iterable[dict[str, Any]]
    groups: Iterable[dict[str, Any]]
    users, groups = read_json(source) if source.suffix == ".json" else (read_csv(source), [])
    state = _target.open_state(state_db)
    out: dict[str, list[dict[str, Any]]] = {"User": [], "Group": []}
    links: dict[str, str] = {}
    skipped = 0
    try:
        for chunk in chunks(users):
            rows = []
            for user in chunk:
                if is_soft_deleted(user):
                    skipped += 1
                    continue
                values = map_user(user)
                target_id = str(uuid.uuid4())
                links[user["id"]] = target_id
                rows.append((user["id"], target_id, values))
            _target.insert_links(state, "User", rows)
            state.commit()
            out["User"].extend({"id": target_id, **values} for _, target_id, values in rows)
        for row in out["User"]:
            manager = row.get("manager")
            if isinstance(manager, str):
                if manager in links:
                    row["manager"] = links[manager]
                else:
                    del row["manager"]
        for chunk in chunks(groups):
            rows = []
            for group in chunk:
                values = map_group(group)
                values["members"] = [links[m] for m in values.get("members", []) if m in links]
                rows.append((group["id"], str(uuid.uuid4()), values))
            _target.insert_links(state, "Group", rows)
            state.commit()
            out["Group"].extend({"id": target_id, **values} for _, target_id, values in rows)
    finally:
        state.close()
    if not out["Group"]:
        del out["Group"]
    _write(target, out)
    return BaselineCounts(created=sum(len(rows) for rows in out.values()), skipped=skipped)


def _write(path: Path, document: dict[str, list[dict[str, Any]]]) -> None:
    temporary = path.with_name(path.name + ".tmp")
    with temporary.open("w", encoding="utf-8") as handle:
        handle.write(json.dumps(document, ensure_ascii=False, separators=(",", ":")))
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)
