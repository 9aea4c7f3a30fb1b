"""Updates by anchor, compiled once per table and set of columns and run through the driver's executemany.

``Connection.execute(update, [dict, ...])`` builds and processes every row's parameters in SQLAlchemy, which
is most of the work of a large batch of updates on SQLite. Here the statement is compiled once for the dialect
and remembered on the ``TableSpec``; each row becomes a tuple (positional drivers) or a dict (named ones)
with the columns' bind processors (``TypeEngine.bind_processor``: dates on SQLite, JSON, Booleans) applied
in Python, and goes to ``Connection.exec_driver_sql`` as it is.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from ._tables import TableSpec

Row = dict[str, Any]
Processor = Callable[[Any], Any]

KEY = "_key"
"""The row key holding the anchor value of the row to update."""


@dataclass(frozen=True, slots=True)
class Update:
    """``UPDATE table SET names... WHERE anchor = ?`` compiled for one dialect."""

    sql: str
    keys: tuple[str, ...]
    """The row keys in parameter order (positional drivers), or the names' order (named ones)."""
    binds: tuple[str, ...] | None
    """The bind names for each of ``keys`` with a named paramstyle; None with a positional one."""
    processors: tuple[Processor | None, ...]

    def params(self, rows: Sequence[Row]) -> list[Any]:
        keys = self.keys
        if any(p is not None for p in self.processors):
            pairs = list(zip(keys, self.processors, strict=True))
            values = [[row[k] if p is None else p(row[k]) for k, p in pairs] for row in rows]
        else:
            values = [[row[k] for k in keys] for row in rows]
        if self.binds is None:
            return [tuple(v) for v in values]
        binds = self.binds
        return [dict(zip(binds, v, strict=True)) for v in values]

    def run(self, conn: sa.Connection, rows: Sequence[Row]) -> int:
        """Execute for ``rows`` (each has ``KEY`` and every name); how many rows the database updated."""
        return int(conn.exec_driver_sql(self.sql, self.params(rows)).rowcount)


def update_for(dialect: sa.Dialect, spec: TableSpec, names: tuple[str, ...]) -> Update:
    """The update of the columns ``names`` (column names) of ``spec``'s table, compiled once per dialect."""
    cache_key = (dialect.name, dialect.driver, names)
    found = spec.statements.get(cache_key)
    if isinstance(found, Update):
        return found
    made = spec.statements[cache_key] = _compile(dialect, spec, names)
    return made


def _compile(dialect: sa.Dialect, spec: TableSpec, names: tuple[str, ...]) -> Update:
    # Bind names differ from column names: SQLAlchemy reserves the column names for its own SET binds.
    bind_of = {f"v_{i}": name for i, name in enumerate(names)} | {KEY: KEY}
    statement = (
        sa.update(spec.table)
        .where(spec.anchor == sa.bindparam(KEY))
        .values({name: sa.bindparam(f"v_{i}") for i, name in enumerate(names)})
    )
    compiled = statement.compile(dialect=dialect)
    binds = tuple(compiled.positiontup) if compiled.positional and compiled.positiontup else tuple(bind_of)
    keys = tuple(bind_of[b] for b in binds)
    columns = {name: spec.table.c[name] for name in names} | {KEY: spec.anchor}
    processors = tuple(_processor(columns[k], dialect) for k in keys)
    return Update(compiled.string, keys, None if compiled.positional else binds, processors)


def _processor(column: sa.Column[Any], dialect: sa.Dialect) -> Processor | None:
    processor: Processor | None = column.type.dialect_impl(dialect).bind_processor(dialect)
    return processor
