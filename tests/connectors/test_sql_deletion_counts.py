"""Incremental reads of a table with a change column and no deleted flag: hard deletes are found by counting
first, and the anchors are scanned only when a row may be gone (issue 6: the cost follows the changes)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import sqlalchemy as sa

from connectors import Watermark

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
