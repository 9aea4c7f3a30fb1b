"""The state store's statements as driver SQL, built once per dialect and run with plain tuples.

SQLAlchemy's per-row work (``construct_params``, type processors) was a large share of an initial cycle's
state writes, so the hot statements skip it: each is written once here with the driver's placeholder
style and handed to the DBAPI's ``executemany`` through ``Connection.exec_driver_sql``; values are
converted in Python by the store (datetimes to ISO text, JSON to text). Writes of whole rows are upserts
(``INSERT ... ON CONFLICT ... DO UPDATE``) where the database has them (SQLite >= 3.24, PostgreSQL);
elsewhere a delete of the keys then an insert, in the same transaction.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from functools import lru_cache
from typing import Any

from sqlalchemy.engine import Connection, Dialect

__all__ = ["CHUNK", "Sql", "chunks", "marks"]

CHUNK = 500  # keeps IN lists under every database's parameter limit

Params = Sequence[Any]


def chunks(items: Sequence[Any]) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), CHUNK):
        yield items[start : start + CHUNK]


class Sql:
    """Statement text for one dialect (placeholders in the driver's paramstyle), and runners."""

    def __init__(self, dialect: Dialect) -> None:
        style = dialect.paramstyle
        if style not in ("qmark", "format", "pyformat", "numeric", "numeric_dollar"):
            style = "named"
        self.style = style
        self.upserts = dialect.name == "postgresql" or (
            dialect.name == "sqlite" and sqlite3.sqlite_version_info >= (3, 24)
        )
        self.utf8 = False
        """Whether JSON columns take their text as UTF-8 bytes (``cast``): a SQLite database storing text as
        UTF-8 (the store sets it once it has read the database's encoding). Then JSON written by orjson is
        stored as it came, instead of being decoded to a ``str`` for the driver to encode again."""

    def cast(self, columns: Sequence[str]) -> tuple[str, ...]:
        """The columns among ``columns`` to bind as ``CAST(? AS TEXT)`` (none unless ``utf8``)."""
        return tuple(columns) if self.utf8 else ()

    def mark(self) -> str:
        """A JSON value's placeholder: ``CAST(? AS TEXT)`` under ``utf8``, else ``?``."""
        return _CAST if self.utf8 else "?"

    def text(self, sql: str) -> str:
        """``sql`` written with ``?`` placeholders, in the driver's style."""
        return sql if self.style == "qmark" else _restyle(sql, self.style)

    def _bind(self, row: Params) -> Any:
        if self.style == "named":
            return {f"p{i}": value for i, value in enumerate(row, start=1)}
        return tuple(row)

    def run(self, conn: Connection, sql: str, params: Params = ()) -> Any:
        """Run one statement (``?`` placeholders); returns the cursor result."""
        return conn.exec_driver_sql(self.text(sql), self._bind(params))

    def run_many(self, conn: Connection, sql: str, rows: Sequence[Params]) -> None:
        if not rows:
            return
        if self.style == "named":
            conn.exec_driver_sql(self.text(sql), [self._bind(r) for r in rows])
        else:  # positional: the rows as they are (SQLAlchemy makes tuples of them unless they are already)
            conn.exec_driver_sql(self.text(sql), rows if rows.__class__ is list else list(rows))

    def query(self, conn: Connection, sql: str, params: Params = ()) -> list[Any]:
        return list(self.run(conn, sql, params).fetchall())

    def upsert(
        self,
        conn: Connection,
        table: str,
        columns: Sequence[str],
        keys: int,
        rows: Sequence[Params],
        cast: tuple[str, ...] = (),
    ) -> None:
        """Insert or replace ``rows`` (tuples in ``columns`` order, the first ``keys`` columns the key;
        ``cast``: the columns bound as ``CAST(? AS TEXT)``, from ``Sql.cast``)."""
        if not rows:
            return
        if self.upserts:
            self.run_many(conn, _upsert_sql(table, tuple(columns), keys, cast), rows)
            return
        where = " AND ".join(f"{c} = ?" for c in columns[:keys])
        self.run_many(conn, f"DELETE FROM {table} WHERE {where}", [r[:keys] for r in rows])
        self.run_many(conn, _insert_sql(table, tuple(columns), cast), rows)

    def insert(
        self,
        conn: Connection,
        table: str,
        columns: Sequence[str],
        rows: Sequence[Params],
        cast: tuple[str, ...] = (),
    ) -> None:
        self.run_many(conn, _insert_sql(table, tuple(columns), cast), rows)


@lru_cache(maxsize=512)
def _restyle(sql: str, style: str) -> str:
    parts = sql.split("?")
    out = [parts[0]]
    for number, part in enumerate(parts[1:], start=1):
        out.append(_placeholder(style, number) + part)
    return "".join(out)


def _placeholder(style: str, number: int) -> str:
    if style in ("format", "pyformat"):
        return "%s"
    if style == "numeric":
        return f":{number}"
    if style == "numeric_dollar":
        return f"${number}"
    return f":p{number}"


_CAST = "CAST(? AS TEXT)"
"""SQLite stores a BLOB cast to TEXT as text in the database's encoding, its bytes unchanged."""


@lru_cache(maxsize=64)
def _insert_sql(table: str, columns: tuple[str, ...], cast: tuple[str, ...] = ()) -> str:
    marks = ", ".join(_CAST if c in cast else "?" for c in columns)
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"


@lru_cache(maxsize=64)
def _upsert_sql(table: str, columns: tuple[str, ...], keys: int, cast: tuple[str, ...] = ()) -> str:
    updates = ", ".join(f"{c} = excluded.{c}" for c in columns[keys:])
    conflict = f"ON CONFLICT ({', '.join(columns[:keys])})"
    action = f"DO UPDATE SET {updates}" if updates else "DO NOTHING"
    return f"{_insert_sql(table, columns, cast)} {conflict} {action}"


def marks(count: int) -> str:
    """``?, ?, ...`` for an IN list of ``count`` values."""
    return ", ".join(["?"] * count)
