"""Incremental reads by change column: the rows changed since a watermark, in (change, anchor) order.

The rows whose change value is ``>= since.cursor`` (closed lower bound: a row stamped with the cursor's
value after the last read is not lost) and ``<=`` the signpost (the largest value when the read began;
later changes wait for the next cycle). The rows at exactly the cursor that the last read delivered
(``since.boundary_ids``) are left out. Each page's watermark is the last delivered row's change value plus
every id delivered at that value, so every page is safe to commit.

The rows at the cursor are looked at by their anchors first: only those the last read did not deliver are
read whole, and the rest of the read starts after the cursor. A bulk edit stamps many rows with one value,
and every later read starts at that value: reading those rows whole each time (the benchmark's 1,000
previous changes, or a 100,000-row import) cost what the last bulk cost, not what changed since. Anchors
are compared in Python, as text, exactly as the watermark keeps them (a database collation that ignores
case never decides which rows are new).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import sqlalchemy as sa

from .._base import DirectoryObject, Page, Watermark
from .._errors import ConnectorError, ObjectRejected
from ._rows import row_objects
from ._tables import TableSpec
from ._values import from_db, sql_errors, to_db


def signpost(engine: sa.Engine, spec: TableSpec) -> Any:
    """The largest change value now (None: no row has one)."""
    assert spec.change is not None
    with sql_errors(f"reading table {spec.table.name!r}"), engine.connect() as conn:
        return conn.execute(sa.select(sa.func.max(spec.change))).scalar()


def changes(engine: sa.Engine, spec: TableSpec, since: Watermark, page_size: int) -> Iterator[Page]:
    change = spec.change
    assert change is not None
    top = signpost(engine, spec)
    mark = since
    if top is None:
        yield Page([], mark)
        return
    lower = _lower_bound(spec, since)
    exclusive = False
    if lower is not None and since.boundary_ids:
        for objects in _new_at(engine, spec, lower, top, since.boundary_ids, page_size):
            mark = _advance(mark, objects)
            yield Page(objects, mark)
        exclusive = True  # every row at the cursor is delivered now, or was before
    last: tuple[Any, Any] | None = None
    while True:
        rows = _change_rows(engine, spec, (lower, exclusive), top, last, page_size)
        objects = row_objects(spec, rows)
        mark = _advance(mark, objects)
        if len(rows) < page_size:
            yield Page(objects, mark)
            return
        yield Page(objects, mark)
        last = (rows[-1]._mapping[change], rows[-1]._mapping[spec.anchor])


def _new_at(
    engine: sa.Engine, spec: TableSpec, lower: Any, top: Any, delivered: frozenset[str], page_size: int
) -> Iterator[list[DirectoryObject]]:
    """The rows at the cursor value that the last read did not deliver, a page at a time."""
    change = spec.change
    assert change is not None
    at = sa.and_(change == lower, change <= top)
    where = f"reading changes of table {spec.table.name!r}"
    with sql_errors(where), engine.connect() as conn:
        anchors = [a for a in conn.execute(sa.select(spec.anchor).where(at)).scalars()]
    new = [a for a in anchors if str(from_db(a)) not in delivered]
    for start in range(0, len(new), page_size):
        chunk = new[start : start + page_size]
        wanted = {str(from_db(a)) for a in chunk}
        query = sa.select(spec.table).where(at, spec.anchor.in_(chunk)).order_by(spec.anchor)
        with sql_errors(where), engine.connect() as conn:
            rows = [r for r in conn.execute(query) if str(from_db(r._mapping[spec.anchor])) in wanted]
        if rows:
            yield row_objects(spec, rows)


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
    bound: tuple[Any, bool],
    top: Any,
    last: tuple[Any, Any] | None,
    page_size: int,
) -> Sequence[sa.Row[Any]]:
    """A page of rows after ``bound`` (the lower value, and whether it is excluded) and ``last``."""
    change = spec.change
    assert change is not None
    lower, exclusive = bound
    query = sa.select(spec.table).where(change <= top).order_by(change, spec.anchor).limit(page_size)
    if lower is None:
        query = query.where(change.is_not(None))
    else:
        query = query.where(change > lower if exclusive else change >= lower)
    if last is not None:
        query = query.where(sa.or_(change > last[0], sa.and_(change == last[0], spec.anchor > last[1])))
    with sql_errors(f"reading changes of table {spec.table.name!r}"), engine.connect() as conn:
        return list(conn.execute(query))


def _advance(mark: Watermark, objects: Sequence[DirectoryObject]) -> Watermark:
    """The watermark after ``objects`` (in change order): the last cursor and every id delivered at it. The
    ids are gathered once per page (many rows share one change value: no set rebuilt per row)."""
    if not objects:
        return mark
    last = objects[-1].cursor
    at_last = [o.id for o in objects if o.cursor == last]
    earlier = mark.boundary_ids if mark.cursor == last else frozenset()
    return Watermark(last, earlier | frozenset(at_last))
