"""Writing a batch to the tables: creates, updates and deletes, batched with executemany.

A batch is cut into runs of consecutive changes of one operation and object type (so their order holds),
and each run is written in one transaction with one statement per set of columns. When the database refuses
a run (a unique key, a bad value), the run is written again one change at a time so only the changes at
fault are rejected (``ObjectConflict`` / ``ObjectRejected`` in their results).

* Create: the anchor comes from the values; else the database assigns it (integer anchors, read back with
  RETURNING) or a uuid4 is generated. A change column that holds a date/time is set to now (UTC) on every
  write this connector makes; integer change counters are left to the database (a default or trigger).
* Update: the current rows are read first so add / remove of values (multi-valued attributes, stored as JSON
  text) work on the stored list; the anchor cannot change.
* Delete: with a ``deletedColumn`` the row is flagged (and its change column set), else it is removed.
  Deleting a row that is not there succeeds.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

import sqlalchemy as sa

from .._base import ApplyResult, Change, Modification, Operation, ValueOp
from .._directory import apply_modifications
from .._errors import ObjectRejected
from ._lookups import fetch
from ._statements import update_for
from ._tables import TableSpec
from ._values import KIND, anchor_param, from_db, now_for, python_type, sql_errors, to_db
from ._warm import read_ahead

Row = dict[str, Any]
Indexed = list[tuple[int, Change]]
Results = list[ApplyResult | None]


def runs(changes: Sequence[Change]) -> Iterator[Indexed]:
    indexed = enumerate(changes)
    for _, group in itertools.groupby(indexed, key=lambda item: (item[1].operation, item[1].object_type)):
        yield list(group)


def apply_run(
    engine: sa.Engine, spec: TableSpec, run: Indexed, results: Results, *, read_ahead: bool = False
) -> None:
    """Write one run; ``read_ahead``: read the rows of blind updates ahead first (``_warm``)."""
    operation = run[0][1].operation
    if operation is Operation.CREATE:
        _write(engine, spec, run, results, lambda change: _create_row(spec, change), _insert)
        return
    if operation is Operation.UPDATE and _replaced_without_reading(engine, spec, run, results, read_ahead):
        return
    current = fetch(engine, spec, [c.target_id for _, c in run if c.target_id], include_deleted=True)
    if operation is Operation.UPDATE:
        _write(engine, spec, run, results, lambda change: _update_row(spec, change, current), _update)
    else:
        _write(engine, spec, run, results, lambda change: _delete_row(spec, change), _delete)


def _replaced_without_reading(
    engine: sa.Engine, spec: TableSpec, run: Indexed, results: Results, ahead: bool
) -> bool:
    """Updates that only replace values (the references phase's manager and members, most edits) need no
    read of the current rows: written blind in one transaction, kept when the database reports every row
    updated. Anything else (an add or remove, the anchor, a refused value, a missing row, a database that
    cannot count executemany rows) returns False with nothing written, and the reading path decides."""
    if not engine.dialect.supports_sane_multi_rowcount or not all(_replaces_only(spec, c) for _, c in run):
        return False
    try:
        rows = [_replace_row(spec, change) for _, change in run]
    except ObjectRejected:
        return False
    if ahead:
        read_ahead(engine, spec, [row["_key"] for row in rows])  # before the transaction: it holds nothing
    try:
        with sql_errors(f"writing to table {spec.table.name!r}"), engine.begin() as conn:
            if _update_counted(conn, spec, rows) != len(rows):
                raise _Missing
    except (ObjectRejected, _Missing):
        return False
    for (index, change), row in zip(run, rows, strict=True):
        results[index] = ApplyResult(change.key, str(from_db(row["_key"])))
    return True


class _Missing(Exception):
    """A blind update touched fewer rows than it wrote: rolled back, and done again by reading first."""


def _replaces_only(spec: TableSpec, change: Change) -> bool:
    return bool(change.target_id) and all(
        m.op is ValueOp.REPLACE and m.name != spec.anchor.name for m in change.modifications
    )


def _replace_row(spec: TableSpec, change: Change) -> Row:
    key = anchor_param(spec.anchor, change.target_id or "")
    if key is None:
        raise ObjectRejected(f"no row with {spec.anchor.name} {change.target_id!r}", connector=KIND)
    values = _replaced_values(change.modifications)  # replaces of scalars: no general rules needed
    if values is None:
        values = apply_modifications({}, change.modifications)
    row: Row = {"_key": key}
    for name in dict.fromkeys(m.name for m in change.modifications):
        column = _column(spec, name)
        row[column.name] = to_db(column, values.get(name))
    return _stamp(spec, row)


Prepare = Callable[[Change], Row]
Execute = Callable[[sa.Connection, TableSpec, list[Row]], list[str]]


def _write(
    engine: sa.Engine, spec: TableSpec, run: Indexed, results: Results, prepare: Prepare, execute: Execute
) -> None:
    prepared: list[tuple[int, Change, Row]] = []
    for index, change in run:
        try:
            prepared.append((index, change, prepare(change)))
        except ObjectRejected as exc:
            results[index] = ApplyResult(change.key, change.target_id, exc)
    if not prepared:
        return
    try:
        with sql_errors(f"writing to table {spec.table.name!r}"), engine.begin() as conn:
            ids = execute(conn, spec, [row for _, _, row in prepared])
    except ObjectRejected:
        for index, change, row in prepared:
            results[index] = _write_one(engine, spec, change, row, execute)
        return
    for (index, change, _), object_id in zip(prepared, ids, strict=True):
        results[index] = ApplyResult(change.key, object_id)


def _write_one(engine: sa.Engine, spec: TableSpec, change: Change, row: Row, execute: Execute) -> ApplyResult:
    try:
        with sql_errors(f"{change.operation.value} in table {spec.table.name!r}"), engine.begin() as conn:
            [object_id] = execute(conn, spec, [row])
    except ObjectRejected as exc:
        return ApplyResult(change.key, change.target_id, exc)
    return ApplyResult(change.key, object_id)


# -- preparing rows -------------------------------------------------------------------------------------


def _column(spec: TableSpec, name: str) -> sa.Column[Any]:
    column = spec.column(name)
    if column is None:
        raise ObjectRejected(f"table {spec.table.name!r} has no column {name!r}", connector=KIND)
    if spec.deleted is not None and column.name == spec.deleted.name:
        raise ObjectRejected(f"{name!r} is the deleted flag, written by deletes only", connector=KIND)
    return column


def _stamp(spec: TableSpec, row: Row) -> Row:
    if spec.change is not None and spec.change.name not in row:
        moment = now_for(spec.change)
        if moment is not None:
            row[spec.change.name] = moment
    return row


_SCALARS = frozenset({str, bool, int, float})


def _replaced_values(modifications: Sequence[Modification]) -> dict[str, Any] | None:
    """The values of a create made of replaces and adds of distinct attributes with scalar values (what the
    engine sends: an add for a multi-valued reference), as ``apply_modifications({}, ...)`` gives them
    without its general path (whose add is quadratic in the values: a large group's members); else None."""
    values: dict[str, Any] = {}
    seen: set[str] = set()
    for mod in modifications:
        value = _fresh_value(mod)
        if value is _GENERAL or mod.name in seen:
            return None
        seen.add(mod.name)
        if value is not None:
            values[mod.name] = value
    return values


_GENERAL: Any = object()
"""Returned by ``_fresh_value`` for a modification the general rules must handle."""


def _fresh_value(mod: Modification) -> Any:
    """The value ``mod`` leaves on a new object (None: none), or ``_GENERAL``."""
    found = mod.values
    if mod.op is ValueOp.REPLACE and len(found) == 1:  # the common case first
        return found[0] if type(found[0]) in _SCALARS else _GENERAL
    if mod.op is ValueOp.REMOVE or any(type(value) not in _SCALARS for value in found):
        return _GENERAL
    if mod.op is ValueOp.ADD:
        # Values once each; True and 1 stay apart (a directory keeps them apart).
        return list({(type(v), v): v for v in found}.values()) or None
    return list(found) or None


def _create_row(spec: TableSpec, change: Change) -> Row:
    row = _fresh_row(spec, change.modifications)
    if row is None:
        values = apply_modifications({}, change.modifications)
        row = {column.name: to_db(column, value) for column, value in _columns(spec, values)}
    if spec.anchor.name not in row and python_type(spec.anchor) is not int:
        row[spec.anchor.name] = str(uuid.uuid4())
    if spec.deleted is not None:
        row[spec.deleted.name] = to_db(spec.deleted, False)
    return _stamp(spec, row)


def _fresh_row(spec: TableSpec, modifications: Sequence[Modification]) -> Row | None:
    """The row of a create whose values ``_replaced_values`` gives (None: the general path); a text value
    for a text column is stored as it is."""
    values = _replaced_values(modifications)
    if values is None:
        return None
    row: Row = {}
    for name, value in values.items():
        column = _column(spec, name)
        text = type(value) is str and python_type(column) is str
        row[column.name] = value if text else to_db(column, value)
    return row


def _columns(spec: TableSpec, values: Mapping[str, Any]) -> list[tuple[sa.Column[Any], Any]]:
    return [(_column(spec, name), value) for name, value in values.items()]


def _update_row(spec: TableSpec, change: Change, current: Mapping[str, Row]) -> Row:
    stored = current.get(change.target_id or "")
    if stored is None:
        raise ObjectRejected(f"no row with {spec.anchor.name} {change.target_id!r} to update", connector=KIND)
    values = apply_modifications({k: from_db(v) for k, v in stored.items()}, change.modifications)
    row: Row = {"_key": stored[spec.anchor.name]}
    for name in dict.fromkeys(m.name for m in change.modifications):
        column = _column(spec, name)
        if column.name == spec.anchor.name and values.get(name) != from_db(stored[spec.anchor.name]):
            raise ObjectRejected(f"the anchor {name!r} cannot be changed", connector=KIND)
        row[column.name] = to_db(column, values.get(name))
    return _stamp(spec, row)


def _delete_row(spec: TableSpec, change: Change) -> Row:
    key = anchor_param(spec.anchor, change.target_id or "")
    row: Row = {"_key": key, "_id": change.target_id}
    if spec.deleted is not None:
        row[spec.deleted.name] = to_db(spec.deleted, True)
        _stamp(spec, row)
    return row


# -- executing ------------------------------------------------------------------------------------------


def _groups(rows: list[Row]) -> Iterator[list[int]]:
    """Positions of rows with the same columns (executemany needs one shape per statement)."""
    shapes: dict[tuple[str, ...], list[int]] = {}
    for position, row in enumerate(rows):
        shapes.setdefault(tuple(sorted(row)), []).append(position)
    yield from shapes.values()


def _insert(conn: sa.Connection, spec: TableSpec, rows: list[Row]) -> list[str]:
    ids: list[str] = [""] * len(rows)
    for positions in _groups(rows):
        batch = [rows[p] for p in positions]
        if spec.anchor.name in batch[0]:
            conn.execute(sa.insert(spec.table), batch)
            new = [row[spec.anchor.name] for row in batch]
        else:
            # The database assigns the anchor: one statement per row, since the order of RETURNING rows of an
            # executemany is not guaranteed on every database.
            new = [_insert_one(conn, spec, row) for row in batch]
        for position, value in zip(positions, new, strict=True):
            ids[position] = str(from_db(value))
    return ids


def _insert_one(conn: sa.Connection, spec: TableSpec, row: Row) -> Any:
    key = conn.execute(sa.insert(spec.table), row).inserted_primary_key
    if key is None or spec.anchor.name not in key._fields:
        raise ObjectRejected(
            f"the database assigned no {spec.anchor.name!r}; give the anchor a value", connector=KIND
        )
    return key._mapping[spec.anchor.name]


def _update(conn: sa.Connection, spec: TableSpec, rows: list[Row]) -> list[str]:
    _update_counted(conn, spec, rows)
    return [str(from_db(row["_key"])) for row in rows]


def _update_counted(conn: sa.Connection, spec: TableSpec, rows: list[Row]) -> int:
    """Execute the updates (one executemany per set of columns); how many rows the database updated."""
    updated = 0
    for positions in _groups(rows):
        batch = [rows[p] for p in positions]
        names = tuple(k for k in batch[0] if k != "_key")
        updated += update_for(conn.dialect, spec, names).run(conn, batch)
    return updated


def _delete(conn: sa.Connection, spec: TableSpec, rows: list[Row]) -> list[str]:
    live = [row for row in rows if row["_key"] is not None]
    if live and spec.deleted is not None:
        _update(conn, spec, [{k: v for k, v in row.items() if k != "_id"} for row in live])
    elif live:
        conn.execute(
            sa.delete(spec.table).where(spec.anchor == sa.bindparam("_key")),
            [{"_key": r["_key"]} for r in live],
        )
    return [str(row["_id"]) for row in rows]
