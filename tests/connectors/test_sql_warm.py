"""Blind updates of a large SQLite file read their rows ahead in parallel key ranges
(``connectors.sql._warm``) when the first rows, read on the writing connection, were slow to come (not
cached): the rows written are the same; cached pages, a short batch, a small file or an in-memory database
are not read ahead."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from connectors import Change, ConnectorContext, Modification, Operation, ValueOp, create_connector
from connectors.sql import SqlConnector, _warm

from .test_sql import db, sql

__all__ = ["db"]  # the fixture, imported for pytest


@pytest.fixture
def readers(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, int]]:
    """(thread name, rows) of every range read ahead."""
    seen: list[tuple[str, int]] = []
    read = _warm._read

    def spy(engine: sa.Engine, probe: Any, spec: Any, keys: Sequence[Any]) -> None:
        seen.append((threading.current_thread().name, len(keys)))
        read(engine, probe, spec, keys)

    monkeypatch.setattr(_warm, "_read", spy)
    return seen


def _rename(count: int) -> list[Change]:
    return [
        Change(
            Operation.UPDATE,
            "User",
            f"u{n}",
            (Modification("name", ValueOp.REPLACE, (f"N{n}",)),),
            key=f"u{n}",
        )
        for n in range(count)
    ]


def _fill(engine: sa.Engine, count: int) -> None:
    with engine.begin() as conn:
        conn.execute(
            sa.text("INSERT INTO users (id, name) VALUES (:id, 'old')"),
            [{"id": f"u{n}"} for n in range(count)],
        )


def test_a_large_uncached_batch_is_read_ahead_in_ranges_then_written(
    db: sa.Engine, tmp_path: Path, readers: list[tuple[str, int]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_warm, "LARGE_FILE", 0)
    monkeypatch.setattr(_warm, "CACHED_PER_ROW", 0.0)  # every probe is slower than that: not cached
    _fill(db, 300)
    results = sql(tmp_path).apply(_rename(300))
    assert all(r.ok for r in results) and [r.target_id for r in results] == [f"u{n}" for n in range(300)]
    with db.connect() as conn:
        names = dict(conn.execute(sa.text("SELECT id, name FROM users")).all())
    assert names == {f"u{n}": f"N{n}" for n in range(300)}
    # The first 36 rows were the probe, read by the writing connection; the other 264 in four ranges.
    assert sorted(size for _, size in readers) == [66, 66, 66, 66]
    assert all(name.startswith("sql-warm") for name, _ in readers)


def test_a_large_batch_whose_pages_are_cached_is_not_read_ahead(
    db: sa.Engine, tmp_path: Path, readers: list[tuple[str, int]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_warm, "LARGE_FILE", 0)
    monkeypatch.setattr(_warm, "CACHED_PER_ROW", 1.0)  # every probe is faster than that: cached
    probed: list[int] = []
    read_on = _warm._read_on

    def spy(conn: sa.Connection, probe: Any, spec: Any, keys: Sequence[Any]) -> None:
        probed.append(len(keys))
        read_on(conn, probe, spec, keys)

    monkeypatch.setattr(_warm, "_read_on", spy)
    _fill(db, 300)
    assert all(r.ok for r in sql(tmp_path).apply(_rename(300)))
    assert probed == [_warm.SETTLE, _warm.PROBE - _warm.SETTLE] and readers == []
    with db.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM users WHERE name LIKE 'N%'")).scalar() == 300


def test_a_small_file_is_not_read_ahead(
    db: sa.Engine, tmp_path: Path, readers: list[tuple[str, int]]
) -> None:
    _fill(db, 300)
    assert all(r.ok for r in sql(tmp_path).apply(_rename(300)))
    assert readers == []


def test_a_short_batch_is_not_read_ahead(
    db: sa.Engine, tmp_path: Path, readers: list[tuple[str, int]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_warm, "LARGE_FILE", 0)
    _fill(db, 20)
    assert all(r.ok for r in sql(tmp_path).apply(_rename(20)))
    assert readers == []


def test_an_in_memory_database_is_not_read_ahead(
    tmp_path: Path, readers: list[tuple[str, int]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_warm, "LARGE_FILE", 0)
    made = create_connector(
        "sql",
        {"url": "sqlite://", "objects": {"User": {"table": "users", "anchor": "id"}}},
        ConnectorContext("Db", tmp_path),
    )
    assert isinstance(made, SqlConnector)
    with made.engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE users (id TEXT PRIMARY KEY, name TEXT)"))
    _fill(made.engine, 300)
    assert all(r.ok for r in made.apply(_rename(300)))
    assert readers == []
