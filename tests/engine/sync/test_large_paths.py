"""The paths taken only for large directories (parallel reads of the state by id, the target's read-ahead,
the source count in a thread) end an incremental cycle exactly where the ordinary paths end it: the same
target rows, the same links, the same report, a hard delete found either way, whether their first reads
find the pages cached (then they read on the calling thread) or not (then in parallel). The size thresholds
are lowered so a small directory takes them."""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from benchmarks import generator
from benchmarks.generator import DirectorySpec
from benchmarks.scenario_cycles import _fresh, _sql_directory, write_job
from connectors.sql import _counts, _warm
from engine import SyncEngine, _state_reads, load_job

SPEC = DirectorySpec(users=400, seed=7)


def _cycle(folder: Path) -> tuple[dict[str, int], list[tuple[Any, ...]], list[tuple[str, str, str]]]:
    """An initial cycle, 250 users edited and one deleted in the source, then the incremental cycle: its
    counts, the target users and the state's links."""
    folder.mkdir()
    source = generator.write_sqlite(SPEC, folder / "source.db")
    job = write_job(folder, "idsync", _sql_directory(f"sqlite:///{source}", generator.CHANGE_COLUMN))
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


def _threads(monkeypatch: pytest.MonkeyPatch, module: Any, name: str) -> list[str]:
    names: list[str] = []
    original: Callable[..., Any] = getattr(module, name)

    def spy(*args: Any) -> Any:
        names.append(threading.current_thread().name)
        return original(*args)

    monkeypatch.setattr(module, name, spy)
    return names


def test_the_large_paths_end_where_the_ordinary_ones_do(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ordinary = _cycle(tmp_path / "ordinary")
    monkeypatch.setattr(_state_reads, "LARGE_FILE", 0)
    monkeypatch.setattr(_warm, "LARGE_FILE", 0)
    monkeypatch.setattr(_counts, "BACKGROUND_COUNT", 0)
    monkeypatch.setattr(_state_reads, "CACHED_PER_ID", 1.0)  # every probe is faster: cached
    monkeypatch.setattr(_warm, "CACHED_PER_ROW", 1.0)
    probed = _threads(monkeypatch, _state_reads.IdReader, "_probe")
    cached = _cycle(tmp_path / "cached")
    assert cached == ordinary and probed
    monkeypatch.setattr(_state_reads, "CACHED_PER_ID", 0.0)  # every probe is slower: not cached
    monkeypatch.setattr(_warm, "CACHED_PER_ROW", 0.0)
    reads = _threads(monkeypatch, _state_reads.IdReader, "_read_all")
    warmed = _threads(monkeypatch, _warm, "_read")
    counted = _threads(monkeypatch, _counts, "count_rows")
    large = _cycle(tmp_path / "large")
    assert large == ordinary
    assert ordinary[0].get("update", 0) + ordinary[0].get("skip", 0) >= 200 and ordinary[0].get("delete") == 1
    assert reads and all(n.startswith("state-read") for n in reads)
    assert warmed and all(n.startswith("sql-warm") for n in warmed)
    assert "count users" in counted
