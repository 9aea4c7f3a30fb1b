"""The paths meant for large directories (the state's parallel reads by id and read-ahead before a commit,
``state.parallelReads``; the sql target's read-ahead of blind updates, ``readAhead``) end an incremental
cycle exactly where the ordinary paths end it: the same target rows, the same links, the same report, a
hard delete found either way. A small directory takes them when they are switched on; ``auto`` leaves them
to large files."""

from __future__ import annotations

import json
import logging
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from benchmarks import generator
from benchmarks.generator import DirectorySpec
from benchmarks.scenario_cycles import _fresh, _sql_directory, write_job
from engine import SyncEngine, load_job

SPEC = DirectorySpec(users=400, seed=7)

Outcome = tuple[dict[str, int], list[tuple[Any, ...]], list[tuple[str, str, str]]]


def _job(folder: Path, source: Path, mode: str) -> Path:
    """The benchmark's job (SQLite source with a change column, sql target), its state read ``mode``
    (``parallelReads``) and its target's ``readAhead`` the same."""
    path = write_job(folder, "idsync", _sql_directory(f"sqlite:///{source}", generator.CHANGE_COLUMN))
    document = json.loads(path.read_text(encoding="utf-8"))
    document["state"] = {"url": document["state"], "parallelReads": mode}
    document["directories"]["SQL Target"]["readAhead"] = mode
    path.write_text(json.dumps(document, indent=2), encoding="utf-8")
    assert load_job(path).state_parallel_reads == mode
    return path


def _cycle(folder: Path, mode: str) -> Outcome:
    """An initial cycle, 250 users edited and one deleted in the source, then the incremental cycle: its
    counts, the target users and the state's links."""
    folder.mkdir()
    source = generator.write_sqlite(SPEC, folder / "source.db")
    job = _job(folder, source, mode)
    _fresh(folder, "idsync")
    with SyncEngine(load_job(job)) as sync:
        assert sync.run_cycle(full=True).state == "Succeeded"
    edited = generator.changed_user_indexes(SPEC, 250, 1)
    generator.touch_users_sqlite(SPEC, source, edited, version=1, changed_at=generator.change_stamp(SPEC, 1))
    with sqlite3.connect(source) as conn:
        conn.execute("DELETE FROM users WHERE id = (SELECT id FROM users ORDER BY id LIMIT 1 OFFSET 7)")
    with SyncEngine(load_job(job)) as sync:
        report = sync.run_cycle()
    assert report.state == "Succeeded", report.error
    with sqlite3.connect(folder / "idsync-target.db") as conn:
        conn.row_factory = sqlite3.Row
        rows = [dict(row) for row in conn.execute("SELECT * FROM target_users")]
    with sqlite3.connect(folder / "idsync-state.db") as conn:
        links = conn.execute("SELECT scope, source_id, essence FROM object_links").fetchall()
    # Target ids are fresh uuids in each run: a reference to one is compared as its user's name (or as
    # gone: the deleted user's reports still name its removed row).
    names = {row["id"]: row["userName"] for row in rows}
    users = sorted(
        tuple(sorted((k, _name(names, v) if k == "manager" else v) for k, v in row.items() if k != "id"))
        for row in rows
    )
    essences = sorted((scope, sid, _named(essence, names)) for scope, sid, essence in links)
    return dict(report.counts.get("User", {})), users, essences


def _name(names: dict[str, str], target_id: Any) -> Any:
    return names.get(target_id, "<gone>") if target_id is not None else None


def _named(essence: str, names: dict[str, str]) -> str:
    """An essence with its references (a manager, a group's members) as user names."""
    values = json.loads(essence).get("values", {})
    named = {
        k: ([_name(names, x) for x in v] if isinstance(v, list) else _name(names, v))
        if k in ("manager", "members")
        else v
        for k, v in values.items()
    }
    return json.dumps(named, sort_keys=True)


def _state_reads(caplog: pytest.LogCaptureFixture) -> set[str]:
    """How the state stores opened so far read ids, as they said when they opened."""
    said = (r.getMessage() for r in caplog.records if r.name == "idsync.state")
    return {("parallel" if "parallel key ranges" in m else "serial") for m in said if "ids read" in m}


def test_the_large_paths_end_where_the_ordinary_ones_do(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG, logger="idsync.state"):
        ordinary = _cycle(tmp_path / "ordinary", "off")
        assert _state_reads(caplog) == {"serial"}
        caplog.clear()
        large = _cycle(tmp_path / "large", "on")
        assert _state_reads(caplog) == {"parallel"}
        caplog.clear()
        auto = _cycle(tmp_path / "auto", "auto")
        assert _state_reads(caplog) == {"serial"}  # a directory of 400 users: a small state file
    assert large == ordinary and auto == ordinary
    assert ordinary[0].get("update", 0) + ordinary[0].get("skip", 0) >= 200 and ordinary[0].get("delete") == 1
