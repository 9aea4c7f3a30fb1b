"""``ScimConnector``: a SCIM 2.0 app (Entra's "customappsso" target) as an idsync source and target.

Object names ``User`` / ``Group`` and the core schema URNs map to ``/Users`` / ``/Groups``; attribute names
are SCIM paths (``_paths``, ``_resource``). Requests go through one keep-alive ``httpx.Client``
(``_http``); ``apply`` runs up to ``concurrency`` changes at once on a thread pool sharing it, keeping the
changes of one object in order. ``context.options["transport"]`` injects an httpx transport (fast unit
tests), ``context.options["sleep"]`` the retry sleep.

Reading is ``_reader`` (native ``meta.lastModified`` change tracking when the server sorts and filters;
deletions through the data store), writing is ``_writer``, the dialects ``_patch``.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Any, TypeVar

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
from .._errors import ConnectionFailed, ConnectorConfigError, ConnectorError, ObjectRejected
from ._http import ScimHttp
from ._patch import Dialect
from ._paths import CORE_GROUP, CORE_USER, filter_literal, parse_path
from ._reader import ScimReader
from ._resource import is_reference, resolve
from ._schema import Catalog, catalog_from_discovery, default_catalog
from ._settings import KNOWN, parse_settings
from ._writer import CreatedWithErrors, ScimWriter

T = TypeVar("T")
_ENDPOINTS = {
    "user": ("/Users", CORE_USER),
    CORE_USER.casefold(): ("/Users", CORE_USER),
    "group": ("/Groups", CORE_GROUP),
    CORE_GROUP.casefold(): ("/Groups", CORE_GROUP),
}


class ScimConnector(Connector):
    kind = "scim"
    settings_keys = frozenset(KNOWN)

    def __init__(self, settings: Mapping[str, Any], context: ConnectorContext) -> None:
        super().__init__(settings, context)
        self.config = parse_settings(settings)
        transport = context.options.get("transport")
        if transport is not None and not isinstance(transport, httpx.BaseTransport):
            raise ConnectorConfigError("options.transport must be an httpx.BaseTransport", connector="scim")
        self.http = ScimHttp(
            self.config.base_address,
            self.config.secret_token,
            timeout=self.config.timeout_seconds,
            concurrency=self.config.concurrency,
            transport=transport,
            sleep=context.options.get("sleep", time.sleep),
        )
        self._lock = threading.Lock()
        self._catalog: Catalog | None = None
        self._native: bool | None = None
        self._pool: ThreadPoolExecutor | None = None
        self.writer = ScimWriter(self.http, Dialect(self.config.dialect), self.catalog, self.endpoint)

    # -- discovery ----------------------------------------------------------------------------------------

    @property
    def capabilities(self) -> Capabilities:
        return Capabilities(soft_delete=True, batch_size=100)

    def endpoint(self, object_type: str) -> tuple[str, str]:
        """(``/Users`` or ``/Groups``, the core schema URN) for an object name."""
        found = _ENDPOINTS.get(object_type.casefold())
        if found is None:
            raise ConnectorConfigError(
                f"unknown SCIM object type {object_type!r}; use User, Group, {CORE_USER} or {CORE_GROUP}",
                connector="scim",
            )
        return found

    def catalog(self) -> Catalog:
        """The attribute types from /Schemas and /ResourceTypes (read once), else Entra's defaults."""
        with self._lock:
            if self._catalog is None:
                schemas = self.http.request("GET", "/Schemas")
                types = self.http.request("GET", "/ResourceTypes")
                if _listed(schemas.body) and _listed(types.body) and schemas.status == types.status == 200:
                    self._catalog = catalog_from_discovery(schemas.body["Resources"], types.body["Resources"])
                else:
                    self._catalog = default_catalog()
            return self._catalog

    def native_tracking(self) -> bool:
        """True when /ServiceProviderConfig announces filtering and sorting (``meta.lastModified`` reads)."""
        with self._lock:
            if self._native is None:
                reply = self.http.request("GET", "/ServiceProviderConfig")
                body = reply.body if reply.status == 200 and isinstance(reply.body, dict) else {}
                self._native = all(_supported(body, feature) for feature in ("filter", "sort"))
            return self._native

    def describe(self) -> dict[str, Any]:
        return self.catalog().describe(self.context.directory_name)

    def validate_credentials(self) -> None:
        """Entra's Test Connection: a lookup of a random GUID must answer 200 with no resources."""
        probe = f"userName eq {filter_literal(str(uuid.uuid4()))}"
        reply = self.http.request("GET", "/Users", params={"filter": probe})
        if reply.status != 200 or not isinstance(reply.body, dict):
            raise ConnectionFailed(
                f"the SCIM server at {self.config.base_address} answered HTTP {reply.status} to the test "
                "query "
                'GET /Users?filter=userName eq "<random GUID>" (Entra expects 200 and an empty list; '
                "check that 'baseAddress' ends with the SCIM root, e.g. /scim/v2)",
                connector="scim",
                detail=reply.error_detail(),
            )

    # -- reading --------------------------------------------------------------------------------------------

    def read(
        self,
        object_type: str,
        since: Watermark | None = None,
        *,
        page_size: int = 1000,
        store: DataStore | None = None,
    ) -> Iterator[Page]:
        path, _ = self.endpoint(object_type)
        reader = ScimReader(self.http, path, object_type, native=self.native_tracking())
        return reader.read(since, page_size, store)

    def get(self, object_type: str, ids: Sequence[str]) -> dict[str, DirectoryObject]:
        path, _ = self.endpoint(object_type)
        reader = ScimReader(self.http, path, object_type, native=False)

        def fetch(object_id: str) -> DirectoryObject | None:
            reply = self.http.request("GET", f"{path}/{object_id}")
            if reply.status == 404:
                return None
            if reply.status != 200 or not isinstance(reply.body, dict) or "id" not in reply.body:
                raise ConnectorError(f"GET {path}/{object_id} answered HTTP {reply.status}", connector="scim",
                                     detail=reply.error_detail())  # fmt: skip
            return reader.to_object(reply.body)

        found = self._map(fetch, list(ids))
        return {object_id: obj for object_id, obj in zip(ids, found, strict=True) if obj is not None}

    def find(
        self, object_type: str, attribute: str, values: Sequence[str]
    ) -> dict[str, list[DirectoryObject]]:
        """``filter=<attribute> eq "<value>"`` per value (``<attribute>.value`` for a reference: ``manager``,
        ``members``); groups without members (as Entra does)."""
        path, core = self.endpoint(object_type)
        try:
            parsed = resolve(parse_path(attribute), core)
        except ValueError as exc:
            raise ConnectorConfigError(str(exc), setting=attribute, connector="scim") from exc
        if is_reference(parsed):  # a complex value: filtered by the id it holds (RFC 7644 §3.4.2.2)
            parsed = replace(parsed, sub_attribute="value")
        name = parsed.text()
        extra = {"excludedAttributes": "members"} if core == CORE_GROUP else {}
        reader = ScimReader(self.http, path, object_type, native=False)

        def lookup(value: str) -> list[DirectoryObject]:
            resources, _ = reader.list_page({"filter": f"{name} eq {filter_literal(str(value))}", **extra})
            return [reader.to_object(resource) for resource in resources]

        found = self._map(lookup, list(values))
        return {value: objs for value, objs in zip(values, found, strict=True) if objs}

    # -- writing ------------------------------------------------------------------------------------------

    def apply(self, changes: Sequence[Change]) -> list[ApplyResult]:
        """Changes of one object run in order; different objects run concurrently. A fatal or retriable
        error stops the changes not yet started and is raised once the running ones have finished."""
        results: list[ApplyResult | None] = [None] * len(changes)
        stop = threading.Event()
        failures: list[ConnectorError] = []

        def run(indexes: list[int]) -> None:
            for index in indexes:
                if stop.is_set():
                    return
                try:
                    results[index] = self._apply_one(changes[index])
                except ConnectorError as exc:
                    failures.append(exc)
                    stop.set()

        self._map(run, _chains(changes))
        if failures:
            raise min(failures, key=lambda e: e.policy != "fatal")
        return [r for r in results if r is not None]

    def _apply_one(self, change: Change) -> ApplyResult:
        try:
            return ApplyResult(change.key, self.writer.write(change))
        except CreatedWithErrors as exc:
            return ApplyResult(change.key, exc.target_id, exc)
        except ObjectRejected as exc:
            return ApplyResult(change.key, change.target_id, exc)

    def _map(self, work: Callable[[Any], T], items: list[Any]) -> list[T]:
        if self.config.concurrency == 1 or len(items) <= 1:
            return [work(item) for item in items]
        with self._lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(self.config.concurrency, thread_name_prefix="idsync-scim")
            pool = self._pool
        return list(pool.map(work, items))

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None
        self.http.close()


def _chains(changes: Sequence[Change]) -> list[list[int]]:
    """Indexes of changes grouped per target object, in order (each create is its own chain)."""
    chains: dict[object, list[int]] = {}
    for index, change in enumerate(changes):
        key = (change.object_type, change.target_id) if change.target_id is not None else index
        chains.setdefault(key, []).append(index)
    return list(chains.values())


def _listed(body: object) -> bool:
    return isinstance(body, dict) and isinstance(body.get("Resources"), list)


def _supported(config: Mapping[str, Any], feature: str) -> bool:
    section = config.get(feature)
    return isinstance(section, dict) and section.get("supported") is True


__all__ = ["ScimConnector"]
