"""``LdapConnector`` (``connector: ldap``): an LDAP directory (OpenLDAP) as a source and a target.

* Reads are paged searches (RFC 2696) per object type (``objects.<name>``: base DN, object classes, filter).
  Changes come by entryCSN, deletions by anchor-set comparison through the engine's data store: see ``_sync``.
  Incremental reads need the engine's connector data store (``read(since=..., store=...)``).
* Ids are the anchor attribute's value (``entryUUID`` by default). ``member``, ``uniqueMember`` and
  ``manager`` hold ids: DNs are translated both ways through a DN <-> id cache filled by every read and
  completed by pipelined base searches (or one anchor scan when many DNs are unknown). A reference to an
  entry that does not exist or cannot be read has no id and is left out.
* Writes: add (the DN is ``<rdnAttribute>=<value>,<baseDn>``), modify, modrdn, delete; see ``_writes``.
  Deleting an entry that is already gone succeeds (the wanted state holds).
* Every value placed in a filter or a DN is escaped (RFC 4515 / RFC 4514) in ``_client``.
* LDAP has no standard "disabled" flag: ``soft_delete`` is false unless the ``softDelete`` setting says the
  schema maps IsSoftDeleted to an attribute here; otherwise objects leaving scope are deleted.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime
from itertools import compress
from typing import Any

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
from .._errors import ConnectorConfigError, ConnectorError
from . import _client as client
from ._apply import Writer
from ._client import Entry, LdapClient, normalize_dn
from ._entries import DnIndex, EntryReader
from ._lookups import OR_CHUNK, Lookups, attribute_values
from ._schema import Schema
from ._settings import KNOWN_KEYS, ObjectSettings, parse_settings
from ._sync import already_delivered, closing_watermark, deleted_ids, newest
from ._values import AttributeInfo, attribute_definition

_ATTRIBUTE_NAME = re.compile(r"^(?:[A-Za-z][A-Za-z0-9-]*|\d+(?:\.\d+)*)(?:;[A-Za-z0-9-]+)*$")
"""RFC 4512 attribute descriptions: a name or an OID, with options."""
OPERATIONAL = ("createTimestamp", "modifyTimestamp", "memberOf")
"""Operational attributes read with every entry: users map or scope on them (memberOf: the memberof
overlay's back-links to groups; absent on servers without it)."""


class LdapConnector(Connector):
    kind = "ldap"
    settings_keys = KNOWN_KEYS

    def __init__(self, settings: Mapping[str, Any], context: ConnectorContext) -> None:
        super().__init__(settings, context)
        self.config = parse_settings(settings, context.base_dir, client.is_dn)
        self._client = LdapClient(self.config)
        self._schema: Schema | None = None
        self._reader: EntryReader | None = None
        self._index = DnIndex()
        self._lookups = Lookups(self._client, self.config, self._index, lambda: self.reader)
        self._writer = Writer(self._client, self.config, self._index, self._lookups, lambda: self.reader)

    @property
    def capabilities(self) -> Capabilities:
        return Capabilities(soft_delete=self.config.soft_delete, batch_size=100)

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

        operational = [self.schema.info(n) for n in OPERATIONAL if self.schema.has_attribute(n)]
        attributes = [definition(info, True) for info in must] + [definition(info, False) for info in may]
        attributes += [definition(info, False) for info in operational]
        if not any(a["anchor"] for a in attributes):
            attributes.insert(0, definition(anchor, False))
        return {"name": obj.name, "attributes": attributes, "metadata": [], "supportedApis": []}

    # --- reading ------------------------------------------------------------------------------------------

    def _attributes_to_read(self) -> list[str]:
        return ["*", self.config.anchor, "entryCSN", *OPERATIONAL]

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
        if since is not None and store is None:
            raise ConnectorError(
                "the ldap connector finds deletions through the engine's connector data store: "
                "read(since=...) needs store=",
                connector="ldap",
            )
        signpost = self._signpost(obj)
        at_signpost: set[str] = set()
        delivered: set[str] = set()
        for entries in self._entry_pages(obj, obj.search_filter(_csn_bounds(cursor, signpost)), page_size):
            dns, objects = self._lookups.page(obj, entries)
            if since is not None:  # skip what the previous read delivered at exactly its cursor
                fresh = [not already_delivered(since, o.id, _csn(o)) for o in objects]
                dns, objects = list(compress(dns, fresh)), list(compress(objects, fresh))
            ids = [o.id for o in objects]
            if signpost is not None:
                at_signpost.update(o.id for o in objects if o.cursor == signpost)
            delivered.update(ids)
            yield Page(objects, store_updates=dict(zip(ids, dns, strict=True)) if store else {})
        yield self._closing_page(obj, since, store, signpost, at_signpost, delivered)

    def _entry_pages(self, obj: ObjectSettings, filterstr: str, page_size: int) -> Iterator[list[Entry]]:
        """The read's pages, each requested when the caller asks for it, over a connection of the read's
        own: a paged search must be alone on its connection (another search there voids its cookie, or with
        a page outstanding leaves libldap waiting for a SearchResultDone that never comes), and the caller
        may look DNs up, get or find between pages."""
        self.reader  # noqa: B018 -- the schema, read on the main connection before the read begins
        connection = LdapClient(self.config)
        pages = connection.paged_search(
            obj.base_dn,
            filterstr,
            self._attributes_to_read(),
            page_size,
            f"objects.{obj.name}.baseDn",
            ahead=True,  # this connection serves the read alone: the next page is prepared meanwhile
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
        if since is None:
            stale = deleted_ids(store.keys(), delivered)  # a full read leaves deletions to the engine
            return Page((), watermark, dict.fromkeys(stale))
        # an incremental read: with a CSN cursor only changes were read, so scan the anchors; without one
        # (a server that keeps no entryCSN) everything was read again and ``delivered`` is the anchor set
        present = self._present_ids(obj) if isinstance(since.cursor, str) else delivered
        gone = deleted_ids(store.keys(), present)
        tombstones = [DirectoryObject(obj.name, anchor, deleted=True) for anchor in gone]
        return Page(tombstones, watermark, dict.fromkeys(gone))

    def _present_ids(self, obj: ObjectSettings) -> set[str]:
        present: set[str] = set()
        setting = f"objects.{obj.name}.baseDn"
        for entries in self._client.paged_search(
            obj.base_dn, obj.search_filter(), [self.config.anchor], 1000, setting
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
            csn = newest(raw.decode() for raw in attribute_values(entry, "contextCSN"))
            if csn is not None:
                return csn
        csns: list[str | None] = []
        setting = f"objects.{obj.name}.baseDn"
        for entries in self._client.paged_search(
            obj.base_dn, obj.search_filter(), ["entryCSN"], 1000, setting
        ):
            csns.extend(
                newest(raw.decode() for raw in attribute_values(attrs, "entryCSN")) for _, attrs in entries
            )
        return newest(csns)

    def get(self, object_type: str, ids: Sequence[str]) -> dict[str, DirectoryObject]:
        obj = self.config.object(object_type)
        unique = sorted(set(ids))
        requests = [
            (
                obj.base_dn,
                client.SCOPE_SUBTREE,
                obj.search_filter(self._lookups.anchor_filter(unique[i : i + OR_CHUNK])),
                self._attributes_to_read(),
            )
            for i in range(0, len(unique), OR_CHUNK)
        ]
        found = [entry for entries in self._client.search_many(requests) for entry in entries]
        return {o.id: o for o in self._lookups.objects(obj, found) if o.id in unique}

    def find(
        self, object_type: str, attribute: str, values: Sequence[str]
    ) -> dict[str, list[DirectoryObject]]:
        obj = self.config.object(object_type)
        if not _ATTRIBUTE_NAME.match(attribute):
            raise ConnectorConfigError(
                f"cannot look {object_type} objects up by {attribute!r}: not an LDAP attribute name "
                "(check the schema's matching attributes for this directory)"
            )
        info = self.schema.info(attribute)
        wanted = list(dict.fromkeys(values))
        if info.is_reference:  # values are ids: the directory stores DNs
            self._lookups.resolve_ids(wanted)
        terms = {v: self._find_term(info, v) for v in wanted}
        asked = [v for v in wanted if terms[v] is not None]
        requests = [
            (obj.base_dn, client.SCOPE_SUBTREE, obj.search_filter(str(terms[v])), self._attributes_to_read())
            for v in asked
        ]
        results = self._client.search_many(requests)
        pairs = zip(asked, results, strict=True)
        return {v: self._lookups.objects(obj, entries) for v, entries in pairs if entries}

    def _find_term(self, info: AttributeInfo, value: str) -> str | None:
        if info.is_reference:
            dn = self._index.dn_of(value)
            return None if dn is None else client.equality_filter(info.name, dn)
        return client.equality_filter(info.name, value)

    # --- writing ------------------------------------------------------------------------------------------

    def apply(self, changes: Sequence[Change]) -> list[ApplyResult]:
        return self._writer.apply(changes)


def _csn(obj: DirectoryObject) -> str | None:
    return obj.cursor if isinstance(obj.cursor, str) else None


def _csn_bounds(cursor: str | None, signpost: str | None) -> str:
    """``(entryCSN>=cursor)(entryCSN<=signpost)`` for an incremental read, nothing for a full one."""
    if cursor is None:
        return ""
    bounds = f"(entryCSN>={client.escape_filter_value(cursor)})"
    if signpost is not None:
        bounds += f"(entryCSN<={client.escape_filter_value(signpost)})"
    return bounds
