"""Looking rows up: by anchor (``get``, and before updates) and by an attribute value (``find``).

``find`` compares exactly and case-sensitively in Python after the database narrowed the rows down, since a
column's collation may ignore case. A multi-valued attribute matches when any value does: in a text column
(values stored as a JSON array) the database narrows with ``LIKE`` on the JSON-quoted value; a JSON or ARRAY
column is scanned in Python (there is no portable SQL for it), which costs a read of the table per call.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

import sqlalchemy as sa

from .._base import DirectoryObject
from .._directory import value_texts
from ._rows import row_object
from ._tables import TableSpec
from ._values import anchor_param, from_db, is_deleted, is_list_column, python_type, sql_errors

Row = dict[str, Any]


IN_LIST_SIZE = 500
"""Anchor values per ``IN (...)`` list: well under the bound-parameter limit of every database."""


def chunks(items: Sequence[Any], size: int = IN_LIST_SIZE) -> Iterable[Sequence[Any]]:
    return (items[i : i + size] for i in range(0, len(items), size))


def fetch(
    engine: sa.Engine, spec: TableSpec, ids: Sequence[str], *, include_deleted: bool = False
) -> dict[str, Row]:
    """The stored rows (column name -> database value) of these ids."""
    keys = [k for k in (anchor_param(spec.anchor, i) for i in ids) if k is not None]
    found: dict[str, Row] = {}
    with sql_errors(f"reading table {spec.table.name!r}"), engine.connect() as conn:
        for chunk in chunks(keys):
            for row in conn.execute(sa.select(spec.table).where(spec.anchor.in_(chunk))):
                if include_deleted or spec.deleted is None or not is_deleted(row._mapping[spec.deleted]):
                    found[str(from_db(row._mapping[spec.anchor]))] = {
                        c.name: row._mapping[c] for c in spec.table.columns
                    }
    return found


def _like(value: str) -> str:
    quoted = json.dumps(value, ensure_ascii=False)
    escaped = quoted.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _list_rows(engine: sa.Engine, column: sa.Column[Any]) -> sa.ColumnElement[bool]:
    """Rows whose text holds a JSON array. On SQLite (binary order) the range ``'[' <= v < '\\'`` is the
    same set as ``LIKE '[%'`` and an index on the column can serve it, so a column without lists costs one
    index probe instead of a table scan per page; other databases keep the portable ``LIKE``."""
    starts = column.like("[%")
    if engine.dialect.name == "sqlite":
        return sa.and_(column >= "[", column < "\\", starts)
    return starts


def _holds_lists(conn: sa.Connection, column: sa.Column[Any]) -> bool:
    """Whether any row of a text column holds a JSON array (one index probe)."""
    if python_type(column) is not str:
        return False
    probe = sa.select(column).where(_list_rows(conn.engine, column)).limit(1)
    return conn.execute(probe).first() is not None


def _queries(
    conn: sa.Connection, spec: TableSpec, column: sa.Column[Any], values: Sequence[str], lists: bool
) -> list[sa.Select[Any]]:
    """The narrowing queries for one chunk of values: equality (``IN``, indexable) apart from the JSON-array
    search (``LIKE``), since one ``OR`` of both would make the database scan the table for every chunk. The
    search is built only when the column holds a JSON array at all (``lists``)."""
    params = [p for p in dict.fromkeys(anchor_param(column, v) for v in values) if p is not None]
    queries = [sa.select(spec.table).where(column.in_(params))] if params else []
    if lists:
        likes = sa.or_(*(column.like(_like(v), escape="\\") for v in values))
        queries.append(sa.select(spec.table).where(_list_rows(conn.engine, column), likes))
    return queries


def find_objects(
    engine: sa.Engine, spec: TableSpec, column: sa.Column[Any], values: Sequence[str]
) -> dict[str, list[DirectoryObject]]:
    candidates: list[DirectoryObject] = []
    with sql_errors(f"searching table {spec.table.name!r}"), engine.connect() as conn:
        if is_list_column(column):
            rows = list(conn.execute(sa.select(spec.table).where(column.is_not(None))))
        else:
            rows = []
            lists = _holds_lists(conn, column)
            for chunk in chunks(list(values), 200):
                for query in _queries(conn, spec, column, chunk, lists):
                    rows += conn.execute(query)
    seen: set[str] = set()
    for row in rows:
        obj = row_object(spec, row._mapping)
        if not obj.deleted and obj.id not in seen:
            seen.add(obj.id)
            candidates.append(obj)
    # Each candidate filed under the texts of its values once: asking every value about every candidate
    # was quadratic in the page (a full cycle matching a page of 1,000 against an existing target).
    by_text: dict[str, list[DirectoryObject]] = {}
    for obj in candidates:
        for text in dict.fromkeys(value_texts(obj.attributes.get(column.name))):
            by_text.setdefault(text, []).append(obj)
    return {value: by_text[value] for value in dict.fromkeys(values) if value in by_text}
