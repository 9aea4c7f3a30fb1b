"""Rows of ``select(spec.table)`` as directory objects (the reads, lookups and change reads share them)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa

from .._base import DirectoryObject
from ._tables import TableSpec
from ._values import cursor_out, from_db, is_deleted


def _value(value: Any) -> Any:
    """``from_db`` with the common cases first: plain text (not a JSON array) and numbers pass as they are."""
    kind = type(value)
    if (kind is str and not value.startswith("[")) or kind is int or kind is bool or kind is float:
        return value
    return from_db(value)


def row_object(spec: TableSpec, row: Mapping[Any, Any]) -> DirectoryObject:
    """A row (column name -> database value) as a directory object; a row flagged deleted is a tombstone."""
    layout = _layout(spec)
    return layout.object([row[name] for name in layout.names])


def row_objects(spec: TableSpec, rows: Sequence[sa.Row[Any]]) -> list[DirectoryObject]:
    """Rows of ``select(spec.table)`` (values in column order) as directory objects."""
    layout = _layout(spec)
    return [layout.object(row) for row in rows]


def _layout(spec: TableSpec) -> _Layout:
    """The table's layout, made once (``row_object`` is asked row by row)."""
    found = spec.statements.get(_Layout)
    if not isinstance(found, _Layout):
        found = spec.statements[_Layout] = _Layout(spec)
    return found


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
