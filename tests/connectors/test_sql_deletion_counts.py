"""Incremental reads of a table with a change column and no deleted flag: hard deletes are found by counting
first, and the anchors are scanned only when a row may be gone (the cost follows the changes)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from connectors import ConnectionFailed, ConnectorContext, Watermark, create_connector
from connectors.sql import SqlConnector, _reads
from connectors.sql._tables import TableSpec

from .datastore import DictStore, drain
from .test_sql import db, execute, insert, sql

__all__ = ["db"]  # the fixture, imported for pytest


class NoScanStore(DictStore):
    """A data store whose full key listing fails: reading it means the read scanned every anchor."""

    def keys(self) -> Iterator[str]:
        raise AssertionError("the read listed every stored id")


def _started(db: sa.Engine, tmp_path: Path, store: DictStore) -> Watermark | None:
    insert(db, {"id": "u1", "version": 1}, {"id": "u2", "version": 1}, {"id": "u3", "version": 2})
    _, mark = drain(sql(tmp_path, changeColumn="version").read("User", page_size=2, store=store), store)
    return mark


def _changes(tmp_path: Path, mark: Watermark | None, store: DictStore) -> list[tuple[str, bool]]:
    objects, _ = drain(
        sql(tmp_path, changeColumn="version").read("User", mark, page_size=2, store=store), store
    )
    return [(o.id, o.deleted) for o in objects]


def test_edits_and_inserts_without_deletes_do_not_scan_the_anchors(db: sa.Engine, tmp_path: Path) -> None:
    full = DictStore()
    mark = _started(db, tmp_path, full)
    store = NoScanStore()
    store.data = dict(full.data)
    execute(db, "UPDATE users SET name = 'Ann', version = 3 WHERE id = 'u1'")
    insert(db, {"id": "u4", "version": 4})
    assert _changes(tmp_path, mark, store) == [("u1", False), ("u4", False)]
    assert set(store.data) == {"u1", "u2", "u3", "u4"}


def test_an_incremental_read_sends_only_the_marks_that_change_the_store(
    db: sa.Engine, tmp_path: Path
) -> None:
    """u1 edited (its id is stored already: no mark to write again), u4 inserted, u3 deleted."""
    store = DictStore()
    mark = _started(db, tmp_path, store)
    execute(db, "UPDATE users SET name = 'Ann', version = 3 WHERE id = 'u1'")
    insert(db, {"id": "u4", "version": 4})
    execute(db, "DELETE FROM users WHERE id = 'u3'")
    pages = list(sql(tmp_path, changeColumn="version").read("User", mark, page_size=10, store=store))
    assert [o.id for page in pages for o in page.objects] == ["u1", "u4", "u3"]
    assert [dict(page.store_updates) for page in pages] == [{"u4": "1"}, {"u3": None}]


def test_a_delete_beside_an_insert_is_still_found(db: sa.Engine, tmp_path: Path) -> None:
    store = DictStore()
    mark = _started(db, tmp_path, store)
    execute(db, "DELETE FROM users WHERE id = 'u2'")
    insert(db, {"id": "u4", "version": 3})
    assert _changes(tmp_path, mark, store) == [("u4", False), ("u2", True)]
    assert set(store.data) == {"u1", "u3", "u4"}


def test_an_unstamped_row_that_evens_the_counts_does_not_hide_a_delete(db: sa.Engine, tmp_path: Path) -> None:
    """u2 deleted and u9 added without a stamp (never delivered): the counts agree, the ids do not."""
    store = DictStore()
    mark = _started(db, tmp_path, store)
    execute(db, "DELETE FROM users WHERE id = 'u2'")
    execute(db, "INSERT INTO users (id) VALUES ('u9')")
    assert ("u2", True) in _changes(tmp_path, mark, store)
    assert "u2" not in store.data


def test_the_table_is_counted_on_the_reading_thread(
    db: sa.Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert _counted_on(db, tmp_path, monkeypatch) == [threading.current_thread().name]


def _counted_on(db: sa.Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The threads that counted the table during an incremental read that finds a hard delete."""
    store = DictStore()
    mark = _started(db, tmp_path, store)
    counters: list[str] = []
    counting = _reads.count_rows

    def count_rows(engine: sa.Engine, spec: TableSpec) -> int | None:
        counters.append(threading.current_thread().name)
        return counting(engine, spec)

    monkeypatch.setattr(_reads, "count_rows", count_rows)
    execute(db, "DELETE FROM users WHERE id = 'u2'")
    assert _changes(tmp_path, mark, store) == [("u2", True)]
    return counters


def test_a_failed_count_stops_the_read_with_the_database_error(
    db: sa.Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = DictStore()
    mark = _started(db, tmp_path, store)

    def count_rows(engine: sa.Engine, spec: TableSpec) -> int | None:
        raise ConnectionFailed("counting rows of table 'users': disk I/O error", connector="sql")

    monkeypatch.setattr(_reads, "count_rows", count_rows)
    with pytest.raises(ConnectionFailed, match="disk I/O error"):
        _changes(tmp_path, mark, store)


def test_an_in_memory_database_finds_a_hard_delete_by_counting(tmp_path: Path) -> None:
    """One in-memory database per connection (per thread): the count sees the table the read saw."""
    made = create_connector(
        "sql",
        {"url": "sqlite://", "objects": {"User": {"table": "users", "anchor": "id", "changeColumn": "v"}}},
        ConnectorContext("Db", tmp_path),
    )
    assert isinstance(made, SqlConnector)
    with made.database.begin() as conn:
        conn.execute(sa.text("CREATE TABLE users (id TEXT PRIMARY KEY, v INTEGER)"))
        conn.execute(sa.text("INSERT INTO users VALUES ('a', 1), ('b', 2)"))
    store = DictStore()
    _, mark = drain(made.read("User", page_size=10, store=store), store)
    with made.database.begin() as conn:
        conn.execute(sa.text("DELETE FROM users WHERE id = 'a'"))
        conn.execute(sa.text("INSERT INTO users VALUES ('c', 3)"))
    objects, _ = drain(made.read("User", mark, page_size=10, store=store), store)
    assert [(o.id, o.deleted) for o in objects] == [("c", False), ("a", True)]
