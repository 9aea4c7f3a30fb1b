"""``connector: sql`` -- tables (or views, as a source) of any SQLAlchemy database as a directory.

See ``_tables`` for the settings, ``_reads`` for change detection and ``_writes`` for batched writes. Column
names are the attribute names; the anchor column's value (as text) is the object id; references hold ids.
Tables are reflected on first use, so a job validates without touching the database until it runs.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import sqlalchemy as sa

from .._base import (
    ApplyResult,
    Capabilities,
    Change,
    Connector,
    ConnectorContext,
    DataStore,
    DirectoryObject,
    Page,
    Watermark,
)
from .._describe import attribute_definition, directory_definition
from .._errors import ConnectorConfigError
from ._counts import count_rows
from ._lookups import fetch, find_objects
from ._reads import read_pages
from ._rows import row_object
from ._tables import TableSpec, make_engine, object_settings, reflect
from ._values import is_list_column, python_type, sql_errors
from ._warm import decide, read_ahead_mode
from ._writes import apply_run, runs

_TYPES = {bool: "Boolean", int: "Integer", bytes: "Binary"}


class SqlConnector(Connector):
    kind = "sql"
    settings_keys = frozenset({"url", "objects", "readAhead", "connectTimeoutSeconds"})

    def __init__(self, settings: Mapping[str, Any], context: ConnectorContext) -> None:
        super().__init__(settings, context)
        self._objects = object_settings(settings)
        self.database = make_engine(settings, context.base_dir)
        self._read_ahead_mode = read_ahead_mode(settings)
        self._read_ahead: bool | None = None
        self._specs: dict[str, TableSpec] = {}

    @property
    def capabilities(self) -> Capabilities:
        return Capabilities(soft_delete=True, batch_size=500)

    def validate_credentials(self) -> None:
        with sql_errors("connecting to the database"), self.database.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
        for object_type in self._objects:
            self._spec(object_type)

    def describe(self) -> dict[str, Any]:
        objects = {name: self._attributes(self._spec(name)) for name in self._objects}
        return directory_definition(self.context.directory_name, objects)

    def read(
        self,
        object_type: str,
        since: Watermark | None = None,
        *,
        page_size: int = 1000,
        store: DataStore | None = None,
    ) -> Iterator[Page]:
        return read_pages(self.database, self._spec(object_type), since, page_size, store)

    def count(self, object_type: str) -> int | None:
        return count_rows(self.database, self._spec(object_type))

    def get(self, object_type: str, ids: Sequence[str]) -> dict[str, DirectoryObject]:
        spec = self._spec(object_type)
        rows = fetch(self.database, spec, list(ids))
        return {i: row_object(spec, rows[i]) for i in ids if i in rows}

    def find(
        self, object_type: str, attribute: str, values: Sequence[str]
    ) -> dict[str, list[DirectoryObject]]:
        spec = self._spec(object_type)
        column = spec.column(attribute)
        if column is None:
            # Matching on a column that does not exist would find nothing and create duplicates.
            columns = ", ".join(c.name for c in spec.table.columns)
            raise ConnectorConfigError(
                f"cannot look {object_type} objects up by {attribute!r}: "
                f"table {spec.table.name!r} has no such column (columns: {columns})",
                setting=f"objects.{object_type}",
                connector=self.kind,
            )
        return find_objects(self.database, spec, column, values)

    def apply(self, changes: Sequence[Change]) -> list[ApplyResult]:
        results: list[ApplyResult | None] = [None] * len(changes)
        for run in runs(changes):
            spec = self._spec(run[0][1].object_type)
            apply_run(self.database, spec, run, results, read_ahead=self.read_ahead)
        assert all(r is not None for r in results)
        return [r for r in results if r is not None]

    def close(self) -> None:
        self.database.dispose()

    @property
    def read_ahead(self) -> bool:
        """Whether blind updates read their rows ahead (``_warm``): decided the first time it is asked."""
        if self._read_ahead is None:
            self._read_ahead = decide(self._read_ahead_mode, self.database)
        return self._read_ahead

    # -- helpers ------------------------------------------------------------------------------------------

    def _spec(self, object_type: str) -> TableSpec:
        spec = self._specs.get(object_type)
        if spec is None:
            settings = self._objects.get(object_type)
            if settings is None:
                raise ConnectorConfigError(
                    f"no table is configured for {object_type!r} (configured: {', '.join(self._objects)})",
                    setting="objects",
                    connector=self.kind,
                )
            spec = self._specs[object_type] = reflect(self.database, settings)
        return spec

    @staticmethod
    def _attributes(spec: TableSpec) -> list[dict[str, Any]]:
        out = [
            attribute_definition(
                spec.anchor.name, type_=_TYPES.get(python_type(spec.anchor) or str, "String"), anchor=True
            )
        ]
        for column in spec.table.columns:
            if column.name == spec.anchor.name:
                continue
            kind = python_type(column)
            type_ = (
                "DateTime"
                if kind is not None and kind.__name__ in {"datetime", "date"}
                else _TYPES.get(kind or str, "String")
            )
            definition = attribute_definition(
                column.name, type_=type_, multivalued=is_list_column(column) or column.name == "members"
            )
            definition["required"] = (
                not column.nullable and column.server_default is None and column.default is None
            )
            out.append(definition)
        return out
