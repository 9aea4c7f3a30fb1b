"""The hand-written baseline: same values as the scenario schema's mappings, and a working pipeline."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from benchmarks import _target, baseline, generator
from benchmarks._people import group_record, user_record
from benchmarks.generator import DirectorySpec

SPEC = DirectorySpec(users=400, groups=12, seed=21)


def _mappings(object_type: str) -> list[dict[str, Any]]:
    schema = json.loads(_target.schema_path().read_text(encoding="utf-8"))
    rule = schema["synchronizationRules"][0]
    mapping = next(m for m in rule["objectMappings"] if m["sourceObjectName"] == object_type)
    return list(mapping["attributeMappings"])


def _evaluate_schema(object_type: str, record: dict[str, Any]) -> dict[str, Any]:
    expressions = pytest.importorskip("expressions")
    if not hasattr(expressions, "from_graph"):
        pytest.skip("expressions.from_graph is not published yet")
    values = {}
    for mapping in _mappings(object_type):
        source = mapping["source"]
        compiled = (
            expressions.compile(source["expression"])
            if "expression" in source
            else expressions.from_graph(source)
        )
        value = expressions.format_value(compiled.evaluate(record))
        if value is not None:
            values[mapping["targetAttributeName"]] = value
    return values


def _source_record(raw: dict[str, Any]) -> dict[str, Any]:
    record = {k: v for k, v in raw.items() if k != "id" and v is not None}
    record["IsSoftDeleted"] = baseline.is_soft_deleted(raw)
    return record


def test_map_user_matches_the_schema_mapping() -> None:
    users = [user_record(SPEC.seed, index) for index in range(60)]
    assert any(baseline.is_soft_deleted(u) for u in users), "the sample should hold a disabled user"
    assert any(not u["displayName"].isascii() for u in users)
    for user in users:
        assert baseline.map_user(user) == _evaluate_schema("User", _source_record(user)), user["id"]


def test_map_group_matches_the_schema_mapping() -> None:
    for index in range(5):
        group = group_record(SPEC.seed, index, SPEC.users)
        assert baseline.map_group(group) == _evaluate_schema("Group", _source_record(group))


def test_map_user_by_hand() -> None:
    user = user_record(SPEC.seed, 3)
    values = baseline.map_user({**user, "accountEnabled": False, "city": None})
    assert values["active"] == "False"
    assert values["location"] == user["country"]
    assert values["initials"] == user["givenName"][0] + user["surname"][0]
    assert values["aliases"] == ";".join(user["proxyAddresses"])


def _rows(path: Path, query: str) -> list[tuple[Any, ...]]:
    connection = sqlite3.connect(path)
    try:
        return connection.execute(query).fetchall()
    finally:
        connection.close()


def test_initial_then_incremental(tmp_path: Path) -> None:
    source = generator.write_sqlite(SPEC, tmp_path / "source.db")
    target, state = tmp_path / "target.db", tmp_path / "state.db"
    _target.create_target(target)
    users = list(generator.iter_users(SPEC))
    enabled = {u["id"] for u in users if not baseline.is_soft_deleted(u)}

    counts = baseline.initial(source, target, state)
    assert counts.created == len(enabled) + SPEC.group_count
    assert counts.skipped == SPEC.users - len(enabled)
    target_users = _rows(target, 'SELECT id, "userName", manager FROM target_users')
    assert len(target_users) == len(enabled)
    target_ids = {row[0] for row in target_users}
    assert all(manager is None or manager in target_ids for _, _, manager in target_users)
    assert any(manager is not None for _, _, manager in target_users)
    for (members,) in _rows(target, "SELECT members FROM target_groups"):
        assert set(json.loads(members)) <= target_ids

    indexes = generator.changed_user_indexes(SPEC, 30)
    generator.touch_users_sqlite(SPEC, source, indexes, version=1, changed_at=generator.now_stamp())
    counts = baseline.incremental(source, target, state)
    changed_enabled = [i for i in indexes if users[i]["id"] in enabled]
    # The closed lower bound re-reads the row at the old watermark (the last user), unchanged.
    assert len(changed_enabled) <= counts.updated + counts.skipped <= len(changed_enabled) + 1
    assert counts.updated > 0
    titles = dict(_rows(target, 'SELECT "employeeNumber", title FROM target_users'))
    for index in changed_enabled:
        assert titles[f"E{index:08d}"] == user_record(SPEC.seed, index, 1)["jobTitle"]

    plan = baseline.dry_run(source, state, target)
    assert plan.created == 0 and plan.updated == 0
    again = baseline.incremental(source, target, state)  # the watermark moved: only the boundary is re-read
    assert again.updated == 0 and again.skipped <= len(changed_enabled)


def test_dry_run_on_an_empty_state_plans_every_enabled_user_and_group(tmp_path: Path) -> None:
    source = generator.write_json(SPEC, tmp_path / "source.json")
    _target.create_target(tmp_path / "target.db")
    plan = baseline.dry_run(source, tmp_path / "state.db", tmp_path / "target.db")
    assert not (tmp_path / "state.db").exists()
    enabled = sum(1 for u in generator.iter_users(SPEC) if not baseline.is_soft_deleted(u))
    assert plan.created == enabled + SPEC.group_count
    assert plan.skipped == SPEC.users - enabled
