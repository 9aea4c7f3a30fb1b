"""Reading a table as a source: full reads, change-column reads and data-store comparisons.

* With a ``changeColumn``: an incremental read takes the rows changed since the watermark (``_changes``).
  Rows with a NULL change value are seen only by full reads.
  Rows flagged by a ``deletedColumn`` are tombstones. Without that column, hard-deleted rows are found by
  keeping the delivered ids in the engine's data store and comparing them with the table's anchors after the
  last page (one ``SELECT anchor`` per read). An incremental read compares counts first (``_nothing_gone``)
  and scans the anchors only when a row may be gone.
* A full read walks the table by anchor. With a change column, only its last page carries a watermark
  (the signpost and the ids at it): a cycle killed part-way must not skip the rows it never saw.
* Without a change column, rows are compared with the engine's data store (``_fingerprints``).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import sqlalchemy as sa

from .._base import DataStore, DirectoryObject, Page, Watermark
from .._fingerprints import datastore_pages
from ._changes import changes, signpost
from ._counts import count_rows
from ._rows import row_objects
from ._tables import TableSpec
from ._values import cursor_out, from_db, sql_errors


def _by_anchor(engine: sa.Engine, spec: TableSpec, page_size: int) -> Iterator[list[sa.Row[Any]]]:
    # Keyset paging in short transactions: no cursor held open while the engine works on a page.
    last: Any = None
    while True:
        query = sa.select(spec.table).order_by(spec.anchor).limit(page_size)
        if last is not None:
            query = query.where(spec.anchor > last)
        with sql_errors(f"reading table {spec.table.name!r}"), engine.connect() as conn:
            rows = list(conn.execute(query))
        if not rows:
            return
        yield rows
        last = rows[-1]._mapping[spec.anchor]
        if len(rows) < page_size:
            return


def _live(engine: sa.Engine, spec: TableSpec, page_size: int) -> Iterator[DirectoryObject]:
    for rows in _by_anchor(engine, spec, page_size):
        yield from (obj for obj in row_objects(spec, rows) if not obj.deleted)


def read_pages(
    engine: sa.Engine, spec: TableSpec, since: Watermark | None, page_size: int, store: DataStore | None
) -> Iterator[Page]:
    page_size = max(page_size, 1)
    if spec.change is None:
        objects = _live(engine, spec, page_size)
        yield from datastore_pages(
            objects, since, page_size=page_size, store=store, object_type=spec.settings.object_type
        )
    else:
        pages = (
            _full_with_change(engine, spec, page_size)
            if since is None
            else changes(engine, spec, since, page_size)
        )
        if spec.deleted is None and store is not None:
            pages = _track_anchors(
                pages, engine, spec, store, incremental=since is not None, page_size=page_size
            )
        yield from pages


def _track_anchors(
    pages: Iterator[Page],
    engine: sa.Engine,
    spec: TableSpec,
    store: DataStore,
    *,
    incremental: bool,
    page_size: int,
) -> Iterator[Page]:
    """Hard deletes in a table with a change column but no deleted flag: remember every delivered id in the
    data store, and after the last page turn stored ids missing from the table into tombstones. An
    incremental read first checks by counting (:func:`_nothing_gone`) and scans the anchors only when a row
    may be gone, so its cost follows the changes, not the table.

    An incremental read looks its page's ids up in the store once (``_Marks``) and sends only the marks that
    change it: an edited row is mostly stored already, and a mark the store holds would only be read again
    and left alone by the engine's commit. A full read marks every id (the store is rebuilt from it)."""
    previous: Page | None = None
    marks = _Marks(store) if incremental else None
    for page in pages:
        if previous is not None:
            yield previous
        news = marks.changes(page.objects) if marks is not None else _all_marks(page.objects)
        previous = Page(page.objects, page.watermark, {**page.store_updates, **news})
    assert previous is not None, "a read yields at least one page"
    if marks is not None and _nothing_gone(engine, spec, store, marks):
        yield previous
        return
    with sql_errors(f"reading table {spec.table.name!r}"), engine.connect() as conn:
        present = {str(from_db(v)) for v in conn.execute(sa.select(spec.anchor)).scalars()}
    stored = store.keys()
    last = {o.id for o in previous.objects}.union(previous.store_updates)  # just delivered: not gone yet
    gone = [key for key in stored if key not in present and key not in last]
    if not incremental:
        yield Page(previous.objects, previous.watermark, {**previous.store_updates, **dict.fromkeys(gone)})
        return
    yield previous
    object_type = spec.settings.object_type
    for start in range(0, len(gone), page_size):
        chunk = gone[start : start + page_size]
        tombstones = [DirectoryObject(object_type, key, {}, deleted=True) for key in chunk]
        yield Page(tombstones, previous.watermark, dict.fromkeys(chunk))


def _all_marks(objects: Sequence[DirectoryObject]) -> dict[str, str | None]:
    """The store entry of each delivered id: "1" for a row, None (removed) for a tombstone."""
    return {o.id: (None if o.deleted else "1") for o in objects}


class _Marks:
    """An incremental read's marks, checked against the store a page at a time. Remembers the marks that
    add an id to the store or remove one (inserts and deletes: few), which :func:`_nothing_gone` counts."""

    def __init__(self, store: DataStore) -> None:
        self.store = store
        self.moving: dict[str, str | None] = {}

    def changes(self, objects: Sequence[DirectoryObject]) -> dict[str, str | None]:
        """The marks of these objects that the store does not hold already."""
        wanted = _all_marks(objects)
        stored = self.store.get_many(wanted)
        news = {key: mark for key, mark in wanted.items() if stored.get(key) != mark}
        # A mark moves the store's count when it adds an id the store lacks or removes one it holds.
        self.moving.update((key, mark) for key, mark in news.items() if (mark is None) != (key not in stored))
        return news

    def net(self) -> int:
        """How many ids the store will have gained (less those it will have lost) once the marks not yet
        committed are: compared with the store as it is now, whether or not the engine committed the earlier
        pages yet."""
        now = self.store.get_many(self.moving)
        added = sum(1 for key, mark in self.moving.items() if mark is not None and key not in now)
        removed = sum(1 for key, mark in self.moving.items() if mark is None and key in now)
        return added - removed


def _nothing_gone(engine: sa.Engine, spec: TableSpec, store: DataStore, marks: _Marks) -> bool:
    """True when no stored id can be missing from the table, known from two counts instead of a scan.

    Every row carrying a change stamp is in the data store once this read is committed: it was there at the
    last full read, or was stamped since and so delivered (the change column's contract: an edit or insert
    stamps the row at or after every earlier stamp). With no unstamped row, the table's ids are therefore a
    subset of the stored ids, and equal counts mean equal sets. An unstamped row (it may never have been
    delivered) or different counts fall back to the scan. ``marks`` tells what this read's pages add to and
    remove from the store (:meth:`_Marks.net`). The table is counted after the read's last page, so after its
    signpost: a row deleted after the count is found by the next read, like a row deleted after the read.
    """
    change = spec.change
    assert change is not None
    with sql_errors(f"reading table {spec.table.name!r}"), engine.connect() as conn:
        if conn.execute(sa.select(change).where(change.is_(None)).limit(1)).first() is not None:
            return False
    return count_rows(engine, spec) == store.count() + marks.net()


def _full_with_change(engine: sa.Engine, spec: TableSpec, page_size: int) -> Iterator[Page]:
    assert spec.change is not None
    top = signpost(engine, spec)
    # The ids at the signpost are taken before the scan: a row stamped with that same value while the scan
    # runs is then not in the boundary and comes again next time, instead of being skipped with old values.
    boundary: frozenset[str] = frozenset()
    if top is not None:
        query = sa.select(spec.anchor).where(spec.change == top)
        with sql_errors(f"reading table {spec.table.name!r}"), engine.connect() as conn:
            boundary = frozenset(str(from_db(v)) for v in conn.execute(query).scalars())
    pending: list[DirectoryObject] = []
    for obj in _live(engine, spec, page_size):
        pending.append(obj)
        if len(pending) == page_size:
            yield Page(pending)
            pending = []
    yield Page(pending, Watermark(cursor_out(top), boundary))
