"""The ``readAhead`` setting (``connectors.sql._warm``): blind updates read their rows ahead in parallel key
ranges when it is ``on``, or ``auto`` and the SQLite file is large when first written to; the rows written
are the same either way. A short batch, a small file, ``off`` or an in-memory database are not read ahead,
and the decision is taken once per connector."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from connectors import (
    Change,
    ConnectorConfigError,
    ConnectorContext,
    Modification,
    Operation,
    ValueOp,
    create_connector,
)
from connectors.sql import SqlConnector, _warm

from .test_sql import db

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


def connector(tmp_path: Path, url: str = "sqlite:///hr.db", **settings: Any) -> SqlConnector:
    objects = {"User": {"table": "users", "anchor": "id"}}
    made = create_connector(
        "sql", {"url": url, "objects": objects, **settings}, ConnectorContext("Db", tmp_path)
    )
    assert isinstance(made, SqlConnector)
    return made


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


def test_read_ahead_on_reads_the_rows_in_ranges_then_writes_them(
    db: sa.Engine, tmp_path: Path, readers: list[tuple[str, int]]
) -> None:
    _fill(db, 300)
    results = connector(tmp_path, readAhead="on").apply(_rename(300))
    assert all(r.ok for r in results) and [r.target_id for r in results] == [f"u{n}" for n in range(300)]
    with db.connect() as conn:
        names = dict(conn.execute(sa.text("SELECT id, name FROM users")).all())
    assert names == {f"u{n}": f"N{n}" for n in range(300)}
    assert sorted(size for _, size in readers) == [75, 75, 75, 75]
    assert all(name.startswith("sql-warm") for name, _ in readers)


def test_auto_reads_ahead_a_large_file_only(
    db: sa.Engine, tmp_path: Path, readers: list[tuple[str, int]], monkeypatch: pytest.MonkeyPatch
) -> None:
    _fill(db, 300)
    assert all(r.ok for r in connector(tmp_path).apply(_rename(300)))  # small: not read ahead
    assert readers == []
    monkeypatch.setattr(_warm, "AUTO_FILE_SIZE", 1)  # every file is large
    assert all(r.ok for r in connector(tmp_path, readAhead="auto").apply(_rename(300)))
    assert len(readers) == _warm.READ_AHEAD_THREADS


def test_the_choice_is_made_once_per_connector(
    db: sa.Engine, tmp_path: Path, readers: list[tuple[str, int]], monkeypatch: pytest.MonkeyPatch
) -> None:
    _fill(db, 300)
    made = connector(tmp_path)
    assert all(r.ok for r in made.apply(_rename(300)))
    monkeypatch.setattr(_warm, "AUTO_FILE_SIZE", 1)  # the file "grew" after the first write
    assert all(r.ok for r in made.apply(_rename(300)))
    assert readers == [] and made.read_ahead is False


@pytest.mark.parametrize("off", ["off", False])  # YAML 1.1 reads a bare ``off`` as false
def test_off_never_reads_ahead(
    db: sa.Engine,
    tmp_path: Path,
    readers: list[tuple[str, int]],
    monkeypatch: pytest.MonkeyPatch,
    off: Any,
) -> None:
    monkeypatch.setattr(_warm, "AUTO_FILE_SIZE", 1)
    _fill(db, 300)
    assert all(r.ok for r in connector(tmp_path, readAhead=off).apply(_rename(300)))
    assert readers == []


def test_a_short_batch_is_not_read_ahead(
    db: sa.Engine, tmp_path: Path, readers: list[tuple[str, int]]
) -> None:
    _fill(db, 20)
    assert all(r.ok for r in connector(tmp_path, readAhead=True).apply(_rename(20)))
    assert readers == []


def test_an_in_memory_database_is_not_read_ahead(tmp_path: Path, readers: list[tuple[str, int]]) -> None:
    made = connector(tmp_path, url="sqlite://", readAhead="on")
    with made.database.begin() as conn:
        conn.execute(sa.text("CREATE TABLE users (id TEXT PRIMARY KEY, name TEXT)"))
    _fill(made.database, 300)
    assert all(r.ok for r in made.apply(_rename(300)))
    assert readers == [] and made.read_ahead is False


@pytest.mark.parametrize("value", ["sometimes", "ON", 1, None, ["on"]])
def test_an_unknown_read_ahead_value_names_the_setting(tmp_path: Path, value: Any) -> None:
    with pytest.raises(ConnectorConfigError, match="must be one of auto, on, off") as caught:
        connector(tmp_path, readAhead=value)
    assert caught.value.setting == "readAhead" and caught.value.connector == "sql"
