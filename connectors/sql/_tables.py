"""The ``sql`` connector's settings and the reflected tables behind each object name.

Settings: ``url`` (any SQLAlchemy URL; a relative SQLite file is relative to the job file's folder) and
``objects``: per object name ``table``, ``anchor`` (the id column), optional ``changeColumn`` (a timestamp or
counter that grows on every change) and ``deletedColumn`` (a flag: true means the row is a tombstone).
Optional ``connectTimeoutSeconds`` (PostgreSQL, default 10): an unreachable server fails within it.
Optional ``readAhead`` (``auto``, the default, ``on`` or ``off``): whether a batch of updates reads its rows
in parallel first; the setting, the constants behind ``auto`` and the decision are in ``_warm``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import exc as sa_exc
from sqlalchemy import pool

from .._errors import ConnectorConfigError
from ._values import KIND, sql_errors


@dataclass(frozen=True)
class ObjectSettings:
    object_type: str
    table: str
    anchor: str
    change_column: str | None = None
    deleted_column: str | None = None


@dataclass(frozen=True)
class TableSpec:
    settings: ObjectSettings
    table: sa.Table
    anchor: sa.Column[Any]
    change: sa.Column[Any] | None
    deleted: sa.Column[Any] | None
    _columns: dict[str, sa.Column[Any] | None] = field(default_factory=dict, compare=False, repr=False)
    statements: dict[Any, Any] = field(default_factory=dict, compare=False, repr=False)
    """What is derived once per table by the modules that use it: compiled statements (``_statements``), the
    row layout (``_rows``)."""

    def column(self, name: str) -> sa.Column[Any] | None:
        try:
            return self._columns[name]  # asked for every value written: remembered
        except KeyError:
            found = self._columns[name] = self.table.c.get(name)
            return found


def threads_share(engine: sa.Engine) -> bool:
    """Whether other threads may take their own connections from this engine's pool: not for in-memory
    SQLite (one connection for everything, or one per thread, each a database of its own)."""
    return not isinstance(engine.pool, (pool.StaticPool, pool.SingletonThreadPool))


def _text(raw: Mapping[str, Any], key: str, where: str, required: bool) -> str | None:
    value = raw.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value:
        raise ConnectorConfigError("must be a non-empty string", setting=f"{where}.{key}", connector=KIND)
    return value


def object_settings(settings: Mapping[str, Any]) -> dict[str, ObjectSettings]:
    objects = settings.get("objects")
    if not isinstance(objects, Mapping) or not objects:
        raise ConnectorConfigError(
            "give each object name a table, e.g. objects: {User: {table: users, anchor: id}}",
            setting="objects",
            connector=KIND,
        )
    result: dict[str, ObjectSettings] = {}
    for name, raw in objects.items():
        where = f"objects.{name}"
        if not isinstance(raw, Mapping):
            raise ConnectorConfigError(
                "must be a mapping with table and anchor", setting=where, connector=KIND
            )
        unknown = set(raw) - {"table", "anchor", "changeColumn", "deletedColumn"}
        if unknown:
            raise ConnectorConfigError(f"unknown keys {sorted(unknown)}", setting=where, connector=KIND)
        table, anchor = _text(raw, "table", where, True), _text(raw, "anchor", where, True)
        assert table is not None and anchor is not None
        change, deleted = _text(raw, "changeColumn", where, False), _text(raw, "deletedColumn", where, False)
        result[str(name)] = ObjectSettings(str(name), table, anchor, change, deleted)
    return result


def make_engine(settings: Mapping[str, Any], base_dir: Path) -> sa.Engine:
    raw = settings.get("url")
    if not isinstance(raw, str) or not raw:
        raise ConnectorConfigError(
            "a SQLAlchemy URL is required, e.g. sqlite:///hr.db", setting="url", connector=KIND
        )
    try:
        url = sa.make_url(raw)
        if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
            path = Path(url.database)
            url = url.set(database=str(path if path.is_absolute() else base_dir / path))
        connect_args: dict[str, Any] = {}
        if url.get_backend_name() == "postgresql":
            connect_args["connect_timeout"] = int(settings.get("connectTimeoutSeconds", 10))
        return sa.create_engine(url, connect_args=connect_args, pool_pre_ping=True)
    except (sa_exc.ArgumentError, sa_exc.NoSuchModuleError, ImportError, ValueError) as exc:
        raise ConnectorConfigError(f"cannot use this URL: {exc}", setting="url", connector=KIND) from exc


def reflect(engine: sa.Engine, spec: ObjectSettings) -> TableSpec:
    where = f"objects.{spec.object_type}"
    with sql_errors(f"reading the definition of table {spec.table!r}"):
        try:
            table = sa.Table(spec.table, sa.MetaData(), autoload_with=engine)
        except sa_exc.NoSuchTableError as exc:
            raise ConnectorConfigError(
                f"the database has no table or view {spec.table!r}", setting=f"{where}.table", connector=KIND
            ) from exc

    def column(key: str, name: str | None) -> sa.Column[Any] | None:
        if name is None:
            return None
        found = table.c.get(name)
        if found is None:
            columns = ", ".join(c.name for c in table.columns)
            raise ConnectorConfigError(
                f"table {spec.table!r} has no column {name!r} (columns: {columns})",
                setting=f"{where}.{key}",
                connector=KIND,
            )
        return found

    anchor = column("anchor", spec.anchor)
    assert anchor is not None
    return TableSpec(
        spec,
        table,
        anchor,
        column("changeColumn", spec.change_column),
        column("deletedColumn", spec.deleted_column),
    )
