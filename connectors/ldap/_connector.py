"""``LdapConnector`` (``connector: ldap``): an LDAP directory (OpenLDAP) as a source and a target.

* Reads are paged searches (RFC 2696) per object type (``objects.<name>``: base DN, object classes, filter).
  Changes come by entryCSN, deletions by anchor-set comparison through the engine's data store: see ``_sync``.
  Incremental reads need the data store (``Capabilities.change_tracking == "datastore"``).
* Ids are the anchor attribute's value (``entryUUID`` by default). ``member``, ``uniqueMember`` and
  ``manager`` hold ids: DNs are translated both ways through a DN <-> id cache filled by every read and
  completed by pipelined base searches (or one anchor scan when many DNs are unknown). A reference to an
  entry that does not exist or cannot be read has no id and is left out.
* Writes: add (the DN is ``<rdnAttribute>=<value>,<baseDn>``), modify, modrdn, delete; see ``_writes``.
  Deleting an entry that is already gone succeeds (the wanted state holds).
* Every value placed in a filter or a DN is escaped (RFC 4515 / RFC 4514) in ``_client``.
* LDAP has no standard "disabled" flag: ``soft_delete`` is false, so Entra-style disables become deletes
  unless the schema maps IsSoftDeleted to an attribute of the target.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from .._base import (
    ApplyResult,
    Capabilities,
    Change,
    Connector,
    ConnectorContext,
    DataStore,
    DirectoryObject,
    Operation,
    Page,
    Scalar,
    Watermark,
)
from .._errors import ConnectorConfigError, ConnectorError, ObjectRejected
from . import _client as client
from ._client import Entry, LdapClient, NoSuchEntry, NoSuchValue, normalize_dn
from ._entries import DnIndex, EntryReader
from ._prefetch import prefetched
from ._schema import Schema
from ._settings import ObjectSettings, parse_settings
from ._sync import already_delivered, closing_watermark, deleted_ids, newest
from ._values import AttributeInfo, attribute_definition, encode, reference_dn
from ._writes import MOD_DELETE, modlist, new_entry, new_rdn_value, without_absent_values

BULK_RESOLVE = 200
"""Above this many unknown DNs, one anchor scan of ``baseDn`` beats one base search each."""
OR_CHUNK = 100
"""Ids per ``(|(anchor=...)...)`` filter."""


class LdapConnector(Connector):
    kind = "ldap"

    def __init__(self, settings: Mapping[str, Any], context: ConnectorContext) -> None:
        super().__init__(settings, context)
        self.config = parse_settings(settings, context.base_dir, client.is_dn)
        self._client = LdapClient(self.config)
        self._schema: Schema | None = None
        self._reader: EntryReader | None = None
        self._index = DnIndex()

    @property
    def capabilities(self) -> Capabilities:
        return Capabilities(change_tracking="datastore", soft_delete=False, batch_size=100, concurrency=1)

    def close(self) -> None:
        self._client.close()

    # --- schema and description ---------------------------------------------------------------------------

    @property
    def schema(self) -> Schema:
        if self._schema is None:
            self._schema = Schema(self._client.subschema_entry())
        return self._schema

    @property
    def reader(self) -> EntryReader:
        if self._reader is None:
            self._reader = EntryReader(self.schema, self.config.anchor, self._index)
        return self._reader

    def validate_credentials(self) -> None:
        for obj in self.config.objects.values():
            if self._client.base_entry(obj.base_dn, ["1.1"]) is None:
                raise ConnectorConfigError(
                    f"no entry {obj.base_dn!r} on {self.config.url}", setting=f"objects.{obj.name}.baseDn"
                )

    def describe(self) -> dict[str, Any]:
        objects = [self._describe_object(obj) for obj in self.config.objects.values()]
        return {
            "id": self.context.directory_name,
            "name": self.context.directory_name,
            "objects": objects,
            "readOnly": False,
            "version": None,
            "discoveryDateTime": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
            "discoverabilities": "AttributeNames, AttributeDataTypes, AttributeReadOnly, ReferenceAttributes",
        }

    def _describe_object(self, obj: ObjectSettings) -> dict[str, Any]:
        for object_class in obj.object_classes:
            if not self.schema.has_class(object_class):
                raise ConnectorConfigError(
                    f"the server's schema has no object class {object_class!r}",
                    setting=f"objects.{obj.name}.objectClass",
                )
        must, may = self.schema.class_attributes(obj.object_classes)
        anchor = self.schema.info(self.config.anchor)
        groups = [o.name for o in self.config.objects.values() if o.is_group]
        people = [o.name for o in self.config.objects.values() if not o.is_group]

        def definition(info: AttributeInfo, required: bool) -> dict[str, object]:
            referenced = tuple(people if info.name.lower() == "manager" else people + groups)
            is_anchor = info.name.lower() == anchor.name.lower()
            return attribute_definition(
                info, required=required, anchor=is_anchor, referenced=referenced if info.is_reference else ()
            )

        attributes = [definition(info, True) for info in must] + [definition(info, False) for info in may]
        if not any(a["anchor"] for a in attributes):
            attributes.insert(0, definition(anchor, False))
        return {"name": obj.name, "attributes": attributes, "metadata": [], "supportedApis": []}

    # --- reading ------------------------------------------------------------------------------------------

    def _attributes_to_read(self) -> list[str]:
        # operational attributes users map or scope on (memberOf: the memberof overlay's back-links)
        return ["*", self.config.anchor, "entryCSN", "createTimestamp", "modifyTimestamp", "memberOf"]

    def read(
        self,
        object_type: str,
        since: Watermark | None = None,
        *,
        page_size: int = 1000,
        store: DataStore | None = None,
    ) -> Iterator[Page]:
        obj = self.config.object(object_type)
        cursor = since.cursor if since is not None and isinstance(since.cursor, str) else None
        if cursor is not None and store is None:
            raise ConnectorError(
                "the ldap connector finds deletions through the engine's connector data store: "
                "read(since=...) needs store=",
                connector="ldap",
            )
        signpost = self._signpost(obj)
        bounds = ""
        if cursor is not None:
            bounds = f"(entryCSN>={client.escape_filter_value(cursor)})"
            if signpost is not None:
                bounds += f"(entryCSN<={client.escape_filter_value(signpost)})"
        at_signpost: set[str] = set()
        delivered: set[str] = set()
        for entries in self._entry_pages(obj, obj.search_filter(bounds), page_size):
            objects = [o for o in self._objects(obj, entries) if not already_delivered(since, o.id, _csn(o))]
            at_signpost.update(o.id for o in objects if signpost is not None and o.cursor == signpost)
            delivered.update(o.id for o in objects)
            yield Page(
                objects, store_updates={o.id: self._index.dn_of(o.id) or "" for o in objects} if store else {}
            )
        yield self._closing_page(obj, since, store, signpost, at_signpost, delivered)

    def _entry_pages(self, obj: ObjectSettings, filterstr: str, page_size: int) -> Iterator[list[Entry]]:
        """The read's pages, fetched one ahead, over a connection of the read's own: a paged search must be
        alone on its connection (another search there voids its cookie, or with a page outstanding leaves
        libldap waiting for a SearchResultDone that never comes), and the caller may look DNs up, get or
        find between pages."""
        self.reader  # noqa: B018 -- the schema, read on the main connection before the read begins
        connection = LdapClient(self.config)
        pages = prefetched(
            connection.paged_search(obj.base_dn, filterstr, self._attributes_to_read(), page_size)
        )
        try:
            yield from pages
        finally:
            pages.close()
            connection.close()

    def _closing_page(
        self,
        obj: ObjectSettings,
        since: Watermark | None,
        store: DataStore | None,
        signpost: str | None,
        at_signpost: set[str],
        delivered: set[str],
    ) -> Page:
        """Tombstones (incremental reads), data store clean-up, and the watermark: the read is complete."""
        watermark = closing_watermark(signpost, since, at_signpost)
        if store is None:
            return Page((), watermark)
        if since is None or not isinstance(since.cursor, str):
            stale = deleted_ids(store.keys(), delivered)  # a full read leaves deletions to the engine
            return Page((), watermark, dict.fromkeys(stale))
        present = self._present_ids(obj)
        gone = deleted_ids(store.keys(), present)
        tombstones = [DirectoryObject(obj.name, anchor, deleted=True) for anchor in gone]
        return Page(tombstones, watermark, dict.fromkeys(gone))

    def _present_ids(self, obj: ObjectSettings) -> set[str]:
        present: set[str] = set()
        for entries in self._client.paged_search(
            obj.base_dn, obj.search_filter(), [self.config.anchor], 1000
        ):
            for dn, raw in entries:
                anchor = self.reader.anchor_of(dn, raw)
                self._index.remember(dn, anchor)
                present.add(anchor)
        return present

    def _signpost(self, obj: ObjectSettings) -> str | None:
        """The suffix's contextCSN now (syncprov keeps it); else the newest entryCSN of the object type."""
        base = normalize_dn(obj.base_dn)
        suffixes = [nc for nc in self._client.naming_contexts() if base.endswith(normalize_dn(nc))]
        if suffixes:
            suffix = max(suffixes, key=len)
            entry = self._client.base_entry(suffix, ["contextCSN"]) or {}
            csn = newest(raw.decode() for raw in _get(entry, "contextCSN"))
            if csn is not None:
                return csn
        csns: list[str | None] = []
        for entries in self._client.paged_search(obj.base_dn, obj.search_filter(), ["entryCSN"], 1000):
            csns.extend(newest(raw.decode() for raw in _get(attrs, "entryCSN")) for _, attrs in entries)
        return newest(csns)

    def _objects(self, obj: ObjectSettings, entries: list[Entry]) -> list[DirectoryObject]:
        reader = self.reader
        self._resolve_dns(reader.index_page(entries))
        return [reader.to_object(obj.name, dn, attrs) for dn, attrs in entries]

    def _resolve_dns(self, dns: Iterable[str]) -> None:
        """Index these DNs' ids (the empty placeholder DN and entries that do not exist stay out)."""
        missing = self._index.unknown_dns(dns)
        if len(missing) > BULK_RESOLVE:
            self._index_all_under(self.config.base_dn)
            missing = self._index.unknown_dns(missing)
        requests = [(dn, client.SCOPE_BASE, "(objectClass=*)", [self.config.anchor]) for dn in missing]
        for dn, found in zip(missing, self._client.search_many(requests), strict=True):
            for entry_dn, raw in found:
                if _get(raw, self.config.anchor):
                    self._index.remember(entry_dn, self.reader.anchor_of(entry_dn, raw), dn)

    def _index_all_under(self, base: str) -> None:
        for entries in self._client.paged_search(base, "(objectClass=*)", [self.config.anchor], 1000):
            for dn, raw in entries:
                if _get(raw, self.config.anchor):
                    self._index.remember(dn, self.reader.anchor_of(dn, raw))

    def _resolve_ids(self, ids: Iterable[str], *, fresh: bool = False) -> None:
        """Index the DNs of these ids by anchor searches under ``baseDn``."""
        missing = sorted({i for i in ids if fresh or self._index.dn_of(i) is None})
        for anchor in missing:
            self._index.forget(anchor)
        chunks = [missing[i : i + OR_CHUNK] for i in range(0, len(missing), OR_CHUNK)]
        requests = [
            (self.config.base_dn, client.SCOPE_SUBTREE, self._anchor_filter(chunk), [self.config.anchor])
            for chunk in chunks
        ]
        for found in self._client.search_many(requests):
            for dn, raw in found:
                self._index.remember(dn, self.reader.anchor_of(dn, raw))

    def _anchor_filter(self, ids: Sequence[str]) -> str:
        terms = "".join(client.equality_filter(self.config.anchor, anchor) for anchor in ids)
        return terms if len(ids) == 1 else f"(|{terms})"

    def get(self, object_type: str, ids: Sequence[str]) -> dict[str, DirectoryObject]:
        obj = self.config.object(object_type)
        unique = sorted(set(ids))
        requests = [
            (
                obj.base_dn,
                client.SCOPE_SUBTREE,
                obj.search_filter(self._anchor_filter(unique[i : i + OR_CHUNK])),
                self._attributes_to_read(),
            )
            for i in range(0, len(unique), OR_CHUNK)
        ]
        found = [entry for entries in self._client.search_many(requests) for entry in entries]
        return {o.id: o for o in self._objects(obj, found) if o.id in unique}

    def find(
        self, object_type: str, attribute: str, values: Sequence[str]
    ) -> dict[str, list[DirectoryObject]]:
        obj = self.config.object(object_type)
        info = self.schema.info(attribute)
        wanted = list(dict.fromkeys(values))
        if info.is_reference:  # values are ids: the directory stores DNs
            self._resolve_ids(wanted)
        terms = {v: self._find_term(info, v) for v in wanted}
        asked = [v for v in wanted if terms[v] is not None]
        requests = [
            (obj.base_dn, client.SCOPE_SUBTREE, obj.search_filter(str(terms[v])), self._attributes_to_read())
            for v in asked
        ]
        results = self._client.search_many(requests)
        return {v: self._objects(obj, entries) for v, entries in zip(asked, results, strict=True) if entries}

    def _find_term(self, info: AttributeInfo, value: str) -> str | None:
        if info.is_reference:
            dn = self._index.dn_of(value)
            return None if dn is None else client.equality_filter(info.name, dn)
        return client.equality_filter(info.name, value)

    # --- writing ------------------------------------------------------------------------------------------

    def apply(self, changes: Sequence[Change]) -> list[ApplyResult]:
        self._prefetch(changes)
        results: list[ApplyResult] = []
        for change in changes:
            try:
                results.append(ApplyResult(change.key, self._apply_one(change)))
            except ObjectRejected as exc:
                results.append(ApplyResult(change.key, change.target_id, exc))
        return results

    def _prefetch(self, changes: Sequence[Change]) -> None:
        """Resolve every target id and referenced id of the batch in a few searches."""
        ids = {c.target_id for c in changes if c.target_id}
        for change in changes:
            for modification in change.modifications:
                if self.schema.info(modification.name).is_reference:
                    ids.update(str(v) for v in modification.values)
        self._resolve_ids(ids)

    def _encode(self, attribute: str, value: Scalar) -> bytes:
        info = self.schema.info(attribute)
        if info.is_reference:
            dn = self._index.dn_of(str(value))
            if dn is None:
                raise ObjectRejected(
                    f"{attribute}: no entry with {self.config.anchor} {value!r} in {self.config.base_dn}",
                    connector="ldap",
                )
            return dn.encode("utf-8")
        try:
            return encode(info, value)
        except ValueError as exc:
            raise ObjectRejected(f"{attribute}: {exc}", connector="ldap") from exc

    def _apply_one(self, change: Change) -> str | None:
        obj = self.config.object(change.object_type)
        if change.operation is Operation.CREATE:
            return self._create(obj, change)
        if change.target_id is None:
            raise ObjectRejected(f"a {change.operation.value} needs the target id", connector="ldap")
        try:
            return self._update_or_delete(obj, change, change.target_id)
        except NoSuchEntry:
            # renamed or moved behind our back since it was cached: look it up again, once
            self._resolve_ids([change.target_id], fresh=True)
            return self._update_or_delete(obj, change, change.target_id)

    def _update_or_delete(self, obj: ObjectSettings, change: Change, target_id: str) -> str | None:
        dn = self._index.dn_of(target_id)
        if change.operation is Operation.DELETE:
            if dn is not None:
                try:
                    self._client.delete(dn)
                except NoSuchEntry:
                    self._resolve_ids([target_id], fresh=True)
                    if self._index.dn_of(target_id) is not None:
                        raise
            self._index.forget(target_id)
            return target_id
        if dn is None:
            raise NoSuchEntry(f"no entry with {self.config.anchor} {target_id!r}", connector="ldap")
        self._update(obj, change, dn, target_id)
        return target_id

    def _create(self, obj: ObjectSettings, change: Change) -> str | None:
        entry = new_entry(change, obj, self._encode)
        dn = client.child_dn(obj.rdn_attribute, entry.rdn_value, obj.base_dn)
        back = self._client.add(dn, entry.attributes, [self.config.anchor])
        anchor = self.reader.anchor_of(dn, back)
        self._index.remember(dn, anchor)
        return anchor

    def _update(self, obj: ObjectSettings, change: Change, dn: str, target_id: str) -> None:
        rdn_attribute, current = client.rdn_of(dn)
        if rdn_attribute.lower() == obj.rdn_attribute.lower():
            renamed = new_rdn_value(change.modifications, obj, current)
            if renamed is not None:
                dn = self._client.rename(dn, obj.rdn_attribute, renamed)
                self._index.remember(dn, target_id)
        edits = modlist(change.modifications, obj, self._encode)
        try:
            self._client.modify(dn, edits)
        except NoSuchValue:
            names = sorted({name for op, name, values in edits if op == MOD_DELETE and values})
            held = {k.lower(): v for k, v in (self._client.base_entry(dn, names) or {}).items()}
            self._client.modify(dn, without_absent_values(edits, held, self._comparable))

    def _comparable(self, name: str, raw: bytes) -> object:
        """A value as the server's equality rule sees it (DNs normalised, case folded unless caseExact)."""
        info = self.schema.info(name)
        if info.is_reference:
            return normalize_dn(reference_dn(raw))
        return raw if info.case_exact else raw.decode("utf-8", "replace").casefold()


def _get(raw: Mapping[str, list[bytes]], name: str) -> list[bytes]:
    """An attribute's values whatever case the server spelt its name in."""
    values = raw.get(name)
    if values is not None:
        return values
    lowered = name.lower()
    return next((v for k, v in raw.items() if k.lower() == lowered), [])


def _csn(obj: DirectoryObject) -> str | None:
    return obj.cursor if isinstance(obj.cursor, str) else None
