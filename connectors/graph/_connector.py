"""``GraphConnector``: Entra ID (Microsoft Graph) as a read-only idsync source.

Object types ``User`` and ``Group``; attribute names are those of Entra's "Azure Active Directory" directory
definition or Graph's own (``_names``). Reading is ``_reader`` (delta queries), talking is ``_http`` (msal and
httpx). ``context.attributes`` (what the job's schema reads of each object type) gives ``$select``;
without it, Entra's default attribute set; ``attributes:`` in the settings adds more.
``context.options["transport"]`` injects an httpx transport, ``context.options["sleep"]`` the retry sleep.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import httpx

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
from .._errors import ConnectorConfigError, ObjectRejected
from . import _names
from ._http import GraphHttp
from ._reader import ENTITLED, GraphReader
from ._settings import KNOWN, parse_settings

_EXTENSION_TYPES = {
    "Boolean": "Boolean",
    "Integer": "Integer",
    "LargeInteger": "Integer",
    "Binary": "Binary",
    "DateTime": "DateTime",
}


def _literal(value: str) -> str:
    """An OData string literal: single quotes doubled."""
    return "'" + str(value).replace("'", "''") + "'"


class GraphConnector(Connector):
    kind = "graph"
    settings_keys = frozenset(KNOWN)

    def __init__(self, settings: Mapping[str, Any], context: ConnectorContext) -> None:
        super().__init__(settings, context)
        self.config = parse_settings(settings, context.base_dir)
        transport = context.options.get("transport")
        if transport is not None and not isinstance(transport, httpx.BaseTransport):
            raise ConnectorConfigError("options.transport must be an httpx.BaseTransport", connector="graph")
        self._scope: dict[str, set[str] | None] = {}
        self.http = GraphHttp(
            self.config, transport=transport, sleep=context.options.get("sleep", time.sleep)
        )

    @property
    def capabilities(self) -> Capabilities:
        return Capabilities(read=True, write=False, soft_delete=False, batch_size=100)

    def names(self, object_type: str) -> tuple[str, ...]:
        """The attribute names read for ``object_type``: the schema's (or Entra's defaults), the settings'."""
        declared = tuple(self.context.attributes.get(object_type, ()))
        base = declared or _names.DEFAULTS[object_type]
        names = [
            n for n in dict.fromkeys([*base, *self.config.attributes.get(object_type, ())]) if n != ENTITLED
        ]
        return tuple(names)

    def reader(self, object_type: str) -> GraphReader:
        if object_type not in self.config.objects:
            raise ConnectorConfigError(
                f"object type {object_type!r} is not read from this directory; the graph connector serves "
                f"{', '.join(self.config.objects)} (setting 'objects')",
                setting="objects",
                connector="graph",
            )
        return GraphReader(self.http, self.config, object_type, self.names(object_type))

    def describe(self) -> dict[str, Any]:
        """Entra's default attributes and those read, plus the tenant's directory extensions
        (``extension_<appid>_<name>``, from ``POST /directoryObjects/getAvailableExtensionProperties``): what
        a schema can map from the tenant."""
        names = {t: list(dict.fromkeys([*_names.DEFAULTS[t], *self.names(t)])) for t in self.config.objects}
        kinds: dict[str, str] = {}
        body = self.http.request("POST", "/directoryObjects/getAvailableExtensionProperties", body={})
        for prop in (body or {}).get("value", []):
            name = prop.get("name")
            for target in prop.get("targetObjects") or []:
                if isinstance(name, str) and target in names and name not in names[target]:
                    names[target].append(name)
                    kinds[name] = _EXTENSION_TYPES.get(str(prop.get("dataType")), "String")
        return _names.definition(self.context.directory_name, names, kinds)

    def validate_credentials(self) -> None:
        """A token, then one user (Entra's "Test connection" reads the directory)."""
        self.http.get("/users", {"$select": "id", "$top": "1"})

    def read(
        self,
        object_type: str,
        since: Watermark | None = None,
        *,
        page_size: int = 1000,
        store: DataStore | None = None,
    ) -> Iterator[Page]:
        reader = self.reader(object_type)
        entitled = self._scope[object_type] = reader.entitled()  # fresh for every read; get/find reuse it
        return reader.read(since, page_size, store, entitled)

    def entitled(self, reader: GraphReader) -> set[str] | None:
        """The app's scope as the last read of this type saw it (asked of Graph when there was none), so the
        engine's lookups between reads (``get``, ``find``) cost no assignment listing each."""
        if reader.object_type not in self._scope:
            self._scope[reader.object_type] = reader.entitled()
        return self._scope[reader.object_type]

    def get(self, object_type: str, ids: Sequence[str]) -> dict[str, DirectoryObject]:
        reader = self.reader(object_type)
        entitled = self.entitled(reader)
        found = {object_id: reader.fetch(object_id, entitled) for object_id in dict.fromkeys(ids)}
        return {object_id: obj for object_id, obj in found.items() if obj is not None}

    def find(
        self, object_type: str, attribute: str, values: Sequence[str]
    ) -> dict[str, list[DirectoryObject]]:
        reader = self.reader(object_type)
        prop = _names.graph_property(attribute)
        if attribute in _names.REFERENCE:
            return self._referrers(reader, attribute, values)
        if prop is None or prop == "onPremisesExtensionAttributes":
            raise ConnectorConfigError(
                f"Graph cannot filter on {attribute!r}", setting=attribute, connector="graph"
            )
        if prop == "id":
            return {value: [obj] for value, obj in self.get(object_type, values).items()}
        entitled = self.entitled(reader)
        result: dict[str, list[DirectoryObject]] = {}
        for value in dict.fromkeys(values):
            condition = (
                f"{prop}/any(x:x eq {_literal(value)})"
                if prop in _names.MULTI
                else f"{prop} eq {_literal(value)}"
            )
            params = {"$filter": condition, "$select": ",".join(_names.select(reader.names))}
            found = [
                reader.to_object(item, None, entitled)
                for item in reader.listing(f"/{reader.collection}", params)
            ]
            if found:
                result[value] = found
        return result

    def _referrers(
        self, reader: GraphReader, attribute: str, values: Sequence[str]
    ) -> dict[str, list[DirectoryObject]]:
        """Who references each id: a manager's ``directReports``, a member's groups (``memberOf``). An object
        Graph no longer has references nothing any more (Graph removed those links, and the referrers' own
        changes come with their delta rounds)."""
        path = "directReports" if attribute == "manager" else "memberOf"
        wanted = "#microsoft.graph.user" if reader.object_type == "User" else "#microsoft.graph.group"
        result: dict[str, list[DirectoryObject]] = {}
        for value in dict.fromkeys(values):
            if self.http.get(f"/users/{value}", {"$select": "id"}) is None:
                continue
            ids = [
                str(item["id"])
                for item in reader.listing(f"/users/{value}/{path}", {"$select": "id"})
                if item.get("@odata.type", wanted) == wanted
            ]
            found = list(self.get(reader.object_type, ids).values())
            if found:
                result[value] = found
        return result

    def apply(self, changes: Sequence[Change]) -> list[ApplyResult]:
        """Entra ID is a source here: every change is refused (skippable), nothing is written."""
        return [
            ApplyResult(
                c.key,
                c.target_id,
                ObjectRejected(
                    "the graph connector is read-only (Entra ID is the source); bind the target to another "
                    "connector",
                    connector="graph",
                ),
            )
            for c in changes
        ]

    def close(self) -> None:
        self.http.close()


__all__ = ["GraphConnector"]
