"""The SCIM server as a *source*: full reads by startIndex/count, change reads by ``meta.lastModified``.

Which change tracking, decided per server from /ServiceProviderConfig:

* **native** (filter and sort supported, as scim2-server does): ``read(since=w)`` asks for
  ``meta.lastModified ge "<w.cursor>" and meta.lastModified le "<signpost>"`` sorted by ``meta.lastModified``,
  a closed lower bound with the ids of ``w.boundary_ids`` skipped. Pages advance by *keyset* (the next
  lower bound is the last cursor seen), never by ``startIndex``: an object modified during the read moves
  out of the filtered set, which would shift offsets and skip an untouched object. The signpost is the
  newest ``meta.lastModified`` when the read began; later changes wait for the next cycle. Known limit: a
  server that stamps ``lastModified`` before it commits could commit a write stamped below the signpost
  after we read it; such a change is seen at the next full read (scim2-server stamps and stores at once).
* **datastore** (no sorting or no ``meta.lastModified``): every read lists everything and compares
  fingerprints with the engine's connector data store (``connectors._fingerprints``).

SCIM has no tombstones, so deletions are found the same way in both modes: store keys (ids delivered
before) that the server no longer lists (``attributes=id``) become tombstones. Without a ``store`` no
deletion can be reported; the engine then finds them on its full reads (contract, ``_base``).

A full read (``since=None``) pages with ``startIndex``/``count`` (sorted by ``id`` when the server sorts, so
a modification during the read does not reorder pages), de-duplicates ids across pages, carries no
watermark until its last page, and ends with the signpost as watermark.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

from .._base import DataStore, DirectoryObject, Page, Watermark
from .._errors import ConnectorError
from .._fingerprints import datastore_pages, fingerprint
from ._http import Reply, ScimHttp
from ._paths import filter_literal
from ._resource import flatten


def normalize_cursor(text: str) -> str:
    """``meta.lastModified`` as fixed-width UTC text (microseconds, ``Z``), so cursors compare as strings."""
    when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _since_cursor(text: str) -> str:
    try:
        return normalize_cursor(text)
    except ValueError as exc:
        raise ConnectorError(
            f"the watermark {text!r} is not a SCIM meta.lastModified time; restart the job with the "
            "Watermark scope to read everything again",
            connector="scim",
        ) from exc


def _cursor_of(resource: Mapping[str, Any]) -> str | None:
    meta = resource.get("meta")
    modified = meta.get("lastModified") if isinstance(meta, dict) else None
    if not isinstance(modified, str):
        return None
    try:
        return normalize_cursor(modified)
    except ValueError:
        return None


class ScimReader:
    """Reads one resource type (``endpoint`` such as ``/Users``) for ``Connector.read``."""

    def __init__(self, http: ScimHttp, endpoint: str, object_type: str, *, native: bool) -> None:
        self.http = http
        self.endpoint = endpoint
        self.object_type = object_type
        self.native = native

    def to_object(self, resource: Mapping[str, Any]) -> DirectoryObject:
        return DirectoryObject(
            self.object_type, str(resource["id"]), flatten(resource), cursor=_cursor_of(resource)
        )

    def list_page(self, params: Mapping[str, str | int]) -> tuple[list[dict[str, Any]], int]:
        reply = self.http.request("GET", self.endpoint, params=params)
        query = " ".join(f"{key}={value}" for key, value in params.items() if key in {"filter", "sortBy"})
        return _resources(reply, f"{self.endpoint} {query}".strip()), _total(reply)

    def read(self, since: Watermark | None, page_size: int, store: DataStore | None) -> Iterator[Page]:
        page_size = max(1, page_size)
        if not self.native or (since is not None and not isinstance(since.cursor, str | None)):
            yield from datastore_pages(self.all_objects(page_size), since, page_size=page_size, store=store,
                                       object_type=self.object_type)  # fmt: skip
            return
        signpost = self.signpost()
        if since is None:
            yield from self._full(signpost, page_size, store)
        else:
            yield from self._changes(since, signpost, page_size, store)

    # -- full reads --------------------------------------------------------------------------------

    def all_objects(self, page_size: int) -> Iterator[DirectoryObject]:
        for resource in self.all_resources(page_size, {}):
            yield self.to_object(resource)

    def all_resources(self, page_size: int, extra: Mapping[str, str]) -> Iterator[dict[str, Any]]:
        start, seen = 1, set()
        while True:
            params: dict[str, str | int] = {"startIndex": start, "count": page_size, **extra}
            if self.native:
                params["sortBy"] = "id"
            resources, total = self.list_page(params)
            for resource in resources:
                if resource["id"] not in seen:
                    seen.add(resource["id"])
                    yield resource
            start += len(resources)
            if not resources or start > total:
                return

    def _full(self, signpost: str | None, page_size: int, store: DataStore | None) -> Iterator[Page]:
        seen: set[str] = set()
        at_signpost: set[str] = set()
        batch: list[DirectoryObject] = []
        for obj in self.all_objects(page_size):
            seen.add(obj.id)
            if obj.cursor is not None and obj.cursor == signpost:
                at_signpost.add(obj.id)
            batch.append(obj)
            if len(batch) >= page_size:
                yield Page(batch, None, _prints(batch))
                batch = []
        updates = _prints(batch)
        if store is not None:
            updates.update(dict.fromkeys(key for key in store.keys() if key not in seen))  # noqa: SIM118
        yield Page(batch, Watermark(signpost, frozenset(at_signpost)), updates)

    # -- change reads --------------------------------------------------------------------------------------

    def signpost(self) -> str | None:
        params: dict[str, str | int] = {"sortBy": "meta.lastModified", "sortOrder": "descending", "count": 1,
                                        "attributes": "meta.lastModified"}  # fmt: skip
        resources, _ = self.list_page(params)
        return _cursor_of(resources[0]) if resources else None

    def _changes(
        self, since: Watermark, signpost: str | None, page_size: int, store: DataStore | None
    ) -> Iterator[Page]:
        lower = None if since.cursor is None else _since_cursor(str(since.cursor))
        skip = set(since.boundary_ids)
        watermark = since
        delivered: set[str] = set()
        count = page_size
        while signpost is not None and (lower is None or lower <= signpost):
            raw = self._window(lower, signpost, count)
            fresh = [r for r in raw if not (_cursor_of(r) == lower and r["id"] in skip)]
            if not fresh:
                if len(raw) < count:
                    break
                count *= 2  # a whole window at one timestamp, all delivered already: widen, never loop
                continue
            objects = [self.to_object(r) for r in fresh[:page_size]]
            lower, skip = _advance(lower, skip, objects)
            watermark = Watermark(lower, frozenset(skip))
            delivered.update(obj.id for obj in objects)
            yield Page(objects, watermark, _prints(objects))
            if len(raw) < count and len(fresh) <= page_size:
                break
        tombstones = list(self._deletions(watermark, store, delivered, page_size))
        if tombstones or not delivered:
            yield tombstones[0] if tombstones else Page([], watermark)
        yield from tombstones[1:]

    def _window(self, lower: str | None, signpost: str, count: int) -> list[dict[str, Any]]:
        clause = f"meta.lastModified le {filter_literal(signpost)}"
        if lower is not None:
            clause = f"meta.lastModified ge {filter_literal(lower)} and {clause}"
        params: dict[str, str | int] = {"filter": clause, "sortBy": "meta.lastModified", "count": count}
        params["sortOrder"] = "ascending"
        return self.list_page(params)[0]

    def _deletions(
        self, watermark: Watermark, store: DataStore | None, delivered: set[str], page_size: int
    ) -> Iterator[Page]:
        if store is None:
            return
        live = {r["id"] for r in self.all_resources(1000, {"attributes": "id"})} | delivered
        gone = [key for key in store.keys() if key not in live]  # noqa: SIM118
        for start in range(0, len(gone), page_size):
            chunk = gone[start : start + page_size]
            tombstones = [DirectoryObject(self.object_type, key, {}, deleted=True) for key in chunk]
            yield Page(tombstones, watermark, dict.fromkeys(chunk))


def _advance(
    lower: str | None, skip: set[str], objects: list[DirectoryObject]
) -> tuple[str | None, set[str]]:
    """The new closed lower bound (the last cursor delivered) and the ids delivered at exactly that cursor."""
    last = max(str(obj.cursor) for obj in objects if obj.cursor is not None) if objects else lower
    at_last = {obj.id for obj in objects if obj.cursor == last}
    return last, (skip | at_last) if last == lower else at_last


def _prints(objects: list[DirectoryObject]) -> dict[str, str | None]:
    return {obj.id: fingerprint(obj.attributes) for obj in objects}


def _resources(reply: Reply, endpoint: str) -> list[dict[str, Any]]:
    body = reply.body
    if reply.status != 200 or not isinstance(body, dict):
        raise ConnectorError(
            f"listing {endpoint} failed with HTTP {reply.status}",
            connector="scim",
            detail=reply.error_detail(),
        )
    resources = body.get("Resources") or []
    if not isinstance(resources, list) or not all(isinstance(r, dict) and "id" in r for r in resources):
        raise ConnectorError(
            f"listing {endpoint}: the ListResponse has resources without an 'id'", connector="scim"
        )
    return resources


def _total(reply: Reply) -> int:
    total = reply.body.get("totalResults", 0) if isinstance(reply.body, dict) else 0
    return total if isinstance(total, int) else 0


__all__ = ["ScimReader", "normalize_cursor"]
