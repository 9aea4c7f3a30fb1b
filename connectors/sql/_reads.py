"""Reading a table as a source: full reads, change-column reads and data-store comparisons.

* With a ``changeColumn``: an incremental read takes the rows whose change value is ``>= since.cursor``
  (closed lower bound) and ``<=`` the largest value seen when the read began (the signpost: later changes
  wait for the next cycle), in (change, anchor) order, skipping ``since.boundary_ids`` at exactly the lower
  bound. Each page's watermark is the last delivered row's change value plus the ids delivered at that
  value, so every page is safe to commit. Rows with a NULL change value are seen only by full reads.
  Rows flagged by a ``deletedColumn`` are tombstones. Without that column, hard-deleted rows are found by
  keeping the delivered ids in the engine's data store and comparing them with the table's anchors after the
  last page (one ``SELECT anchor`` per read). An incremental read compares counts first (``_nothing_gone``);
  a large table is counted in a background thread from the first page on (``_counts``), so that
  reading a million index entries overlaps the engine's work on the pages instead of following it (the
  database works outside the GIL).
* A full read walks the table by anchor. With a change column, only its last page carries a watermark
  (the signpost and the ids at it): a cycle killed part-way must not skip the rows it never saw.
* Without a change column, rows are compared with the engine's data store (``_fingerprints``).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import sqlalchemy as sa

from .._base import DataStore, DirectoryObject, Page, Watermark
from .._errors import ConnectorError, ObjectRejected
from .._fingerprints import datastore_pages
from ._counts import Count, count_for
from ._tables import TableSpec
from ._values import cursor_out, from_db, is_deleted, sql_errors, to_db


def _value(value: Any) -> Any:
    """``from_db`` with the common cases first: plain text (not a JSON array) and numbers pass as they are."""
    kind = type(value)
    if (kind is str and not value.startswith("[")) or kind is int or kind is bool or kind is float:
        return value
    return from_db(value)


def row_object(spec: TableSpec, row: Mapping[Any, Any]) -> DirectoryObject:
    """A row (column name -> database value) as a directory object; a row flagged deleted is a tombstone."""
    return _Layout(spec).object([row[c.name] for c in spec.table.columns])


def row_objects(spec: TableSpec, rows: Sequence[sa.Row[Any]]) -> list[DirectoryObject]:
    """Rows of ``select(spec.table)`` (values in column order) as directory objects."""
    layout = _Layout(spec)
    return [layout.object(row) for row in rows]


class _Layout:
    """Where the anchor, change and deleted columns sit in a row of ``select(spec.table)``."""

    def __init__(self, spec: TableSpec) -> None:
        names = [c.name for c in spec.table.columns]
        self.names = names
        self.object_type = spec.settings.object_type
        self.anchor = names.index(spec.anchor.name)
        self.change = names.index(spec.change.name) if spec.change is not None else None
        self.deleted = names.index(spec.deleted.name) if spec.deleted is not None else None

    def object(self, values: Sequence[Any]) -> DirectoryObject:
        cursor = cursor_out(values[self.change]) if self.change is not None else None
        object_id = str(from_db(values[self.anchor]))
        if self.deleted is not None and is_deleted(values[self.deleted]):
            return DirectoryObject(self.object_type, object_id, {}, deleted=True, cursor=cursor)
        attributes = {n: _value(v) for n, v in zip(self.names, values, strict=True) if v is not None}
        return DirectoryObject(self.object_type, object_id, attributes, cursor=cursor)


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
            else _changes(engine, spec, since, page_size)
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
    may be gone, so its cost follows the changes, not the table."""
    previous: Page | None = None
    delivered: dict[str, str | None] = {}
    counted: Count | None = None
    for page in pages:
        if incremental and counted is None:  # started once the first page (and so the signpost) is read
            counted = count_for(engine, spec, store.count())
        if previous is not None:
            yield previous
        marks = {o.id: (None if o.deleted else "1") for o in page.objects}
        if incremental:
            delivered.update(marks)
        previous = Page(page.objects, page.watermark, {**page.store_updates, **marks})
    assert previous is not None, "a read yields at least one page"
    if counted is not None and _nothing_gone(engine, spec, store, delivered, counted):
        yield previous
        return
    with sql_errors(f"reading table {spec.table.name!r}"), engine.connect() as conn:
        present = {str(from_db(v)) for v in conn.execute(sa.select(spec.anchor)).scalars()}
    stored = store.keys()
    gone = [key for key in stored if key not in present and key not in previous.store_updates]
    if not incremental:
        yield Page(previous.objects, previous.watermark, {**previous.store_updates, **dict.fromkeys(gone)})
        return
    yield previous
    object_type = spec.settings.object_type
    for start in range(0, len(gone), page_size):
        chunk = gone[start : start + page_size]
        tombstones = [DirectoryObject(object_type, key, {}, deleted=True) for key in chunk]
        yield Page(tombstones, previous.watermark, dict.fromkeys(chunk))


def _nothing_gone(
    engine: sa.Engine,
    spec: TableSpec,
    store: DataStore,
    delivered: dict[str, str | None],
    counted: Count,
) -> bool:
    """True when no stored id can be missing from the table, known from two counts instead of a scan.

    Every row carrying a change stamp is in the data store once this read is committed: it was there at the
    last full read, or was stamped since and so delivered (the change column's contract: an edit or insert
    stamps the row at or after every earlier stamp). With no unstamped row, the table's ids are therefore a
    subset of the stored ids, and equal counts mean equal sets. An unstamped row (it may never have been
    delivered) or different counts fall back to the scan. ``delivered`` (this read's ids and marks) is
    compared with the store as it is now, whether or not the engine committed the earlier pages yet.
    ``counted`` gives the table's row count, taken after the read's signpost (``_counts``): a row
    deleted after it is still counted, so it is found by the next read, like a row deleted after the read.
    """
    change = spec.change
    assert change is not None
    already = store.get_many(delivered)
    added = sum(1 for key, mark in delivered.items() if mark is not None and key not in already)
    removed = sum(1 for key, mark in delivered.items() if mark is None and key in already)
    with sql_errors(f"reading table {spec.table.name!r}"), engine.connect() as conn:
        if conn.execute(sa.select(change).where(change.is_(None)).limit(1)).first() is not None:
            return False
    return counted() == store.count() + added - removed


def _signpost(engine: sa.Engine, spec: TableSpec) -> Any:
    assert spec.change is not None
    with sql_errors(f"reading table {spec.table.name!r}"), engine.connect() as conn:
        return conn.execute(sa.select(sa.func.max(spec.change))).scalar()


def _full_with_change(engine: sa.Engine, spec: TableSpec, page_size: int) -> Iterator[Page]:
    assert spec.change is not None
    signpost = _signpost(engine, spec)
    # The ids at the signpost are taken before the scan: a row stamped with that same value while the scan
    # runs is then not in the boundary and comes again next time, instead of being skipped with old values.
    boundary: frozenset[str] = frozenset()
    if signpost is not None:
        query = sa.select(spec.anchor).where(spec.change == signpost)
        with sql_errors(f"reading table {spec.table.name!r}"), engine.connect() as conn:
            boundary = frozenset(str(from_db(v)) for v in conn.execute(query).scalars())
    pending: list[DirectoryObject] = []
    for obj in _live(engine, spec, page_size):
        pending.append(obj)
        if len(pending) == page_size:
            yield Page(pending)
            pending = []
    yield Page(pending, Watermark(cursor_out(signpost), boundary))


def _changes(engine: sa.Engine, spec: TableSpec, since: Watermark, page_size: int) -> Iterator[Page]:
    change = spec.change
    assert change is not None
    signpost = _signpost(engine, spec)
    mark = since
    if signpost is None:
        yield Page([], mark)
        return
    lower = _lower_bound(spec, since)
    last: tuple[Any, Any] | None = None
    while True:
        rows = _change_rows(engine, spec, lower, signpost, last, page_size)
        objects = row_objects(spec, [r for r in rows if not _at_boundary(spec, r, lower, since.boundary_ids)])
        mark = _advance(mark, objects)
        if len(rows) < page_size:
            yield Page(objects, mark)
            return
        if objects:
            yield Page(objects, mark)
        last = (rows[-1]._mapping[change], rows[-1]._mapping[spec.anchor])


def _lower_bound(spec: TableSpec, since: Watermark) -> Any:
    assert spec.change is not None
    if since.cursor is None:
        return None
    try:
        return to_db(spec.change, since.cursor)
    except ObjectRejected as exc:
        raise ConnectorError(
            f"the watermark {since.cursor!r} does not fit column {spec.change.name!r} "
            "(was changeColumn changed?); "
            "restart the job to read everything again",
            connector="sql",
        ) from exc


def _change_rows(
    engine: sa.Engine,
    spec: TableSpec,
    lower: Any,
    signpost: Any,
    last: tuple[Any, Any] | None,
    page_size: int,
) -> Sequence[sa.Row[Any]]:
    change = spec.change
    assert change is not None
    query = sa.select(spec.table).where(change <= signpost).order_by(change, spec.anchor).limit(page_size)
    query = query.where(change >= lower if lower is not None else change.is_not(None))
    if last is not None:
        query = query.where(sa.or_(change > last[0], sa.and_(change == last[0], spec.anchor > last[1])))
    with sql_errors(f"reading changes of table {spec.table.name!r}"), engine.connect() as conn:
        return list(conn.execute(query))


def _at_boundary(spec: TableSpec, row: sa.Row[Any], lower: Any, boundary: frozenset[str]) -> bool:
    assert spec.change is not None
    mapping = row._mapping
    return (
        lower is not None and mapping[spec.change] == lower and str(from_db(mapping[spec.anchor])) in boundary
    )


def _advance(mark: Watermark, objects: Sequence[DirectoryObject]) -> Watermark:
    """The watermark after ``objects`` (in change order): the last cursor and every id delivered at it. The
    ids are gathered once per page (many rows share one change value: no set rebuilt per row)."""
    if not objects:
        return mark
    last = objects[-1].cursor
    at_last = [o.id for o in objects if o.cursor == last]
    earlier = mark.boundary_ids if mark.cursor == last else frozenset()
    return Watermark(last, earlier | frozenset(at_last))
