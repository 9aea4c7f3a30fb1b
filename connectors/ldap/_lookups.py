"""Id <-> DN lookups for the ``ldap`` connector, and the conversion of a batch of entries into objects
(references resolved first). Used by reads, ``get``, ``find`` and writes.

Unknown DNs are resolved by pipelined base searches (one round trip's latency for the lot), or, above
``BULK_RESOLVE`` of them, by one attributes-only scan of ``baseDn``; ids by ``(|(anchor=...)...)`` searches.
A DN that names no entry (or one this bind cannot read) has no id: such references are left out.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence

from .._base import DirectoryObject
from . import _client as client
from ._client import Entry, LdapClient
from ._entries import DnIndex, EntryReader
from ._settings import LdapSettings, ObjectSettings

BULK_RESOLVE = 200
"""Above this many unknown DNs, one anchor scan of ``baseDn`` beats one base search each."""
OR_CHUNK = 100
"""Ids per ``(|(anchor=...)...)`` filter."""


class Lookups:
    def __init__(
        self, client: LdapClient, config: LdapSettings, index: DnIndex, reader: Callable[[], EntryReader]
    ) -> None:
        self.client = client
        self.config = config
        self.index = index
        self.reader = reader

    def objects(self, obj: ObjectSettings, entries: list[Entry]) -> list[DirectoryObject]:
        return self.page(obj, entries)[1]

    def page(self, obj: ObjectSettings, entries: list[Entry]) -> tuple[list[str], list[DirectoryObject]]:
        """(the DNs, the objects) of the entries, in order, references resolved."""
        self.index.trim()
        return [dn for dn, _ in entries], self.reader().objects(obj.name, entries, self.resolve_dns)

    def resolve_dns(self, dns: Iterable[str]) -> None:
        """Index these DNs' ids (the empty placeholder DN and entries that do not exist stay out)."""
        missing = self.index.unknown_dns(dns)
        if len(missing) > BULK_RESOLVE:
            self._index_all_under(self.config.base_dn, {dn.lower() for dn in missing})
            missing = self.index.unknown_dns(missing)
        requests = [(dn, client.SCOPE_BASE, "(objectClass=*)", [self.config.anchor]) for dn in missing]
        for dn, found in zip(missing, self.client.search_many(requests), strict=True):
            for entry_dn, raw in found:
                if attribute_values(raw, self.config.anchor):
                    self.index.remember(entry_dn, self.reader().anchor_of(entry_dn, raw), dn)

    def _index_all_under(self, base: str, wanted: set[str]) -> None:
        """One anchor scan of ``base``, indexing the entries whose DN (lower-cased) is ``wanted``."""
        for entries in self.client.paged_search(base, "(objectClass=*)", [self.config.anchor], 1000):
            for dn, raw in entries:
                if dn.lower() in wanted and attribute_values(raw, self.config.anchor):
                    self.index.remember(dn, self.reader().anchor_of(dn, raw))

    def resolve_ids(self, ids: Iterable[str], *, fresh: bool = False) -> None:
        """Index the DNs of these ids by anchor searches under ``baseDn``."""
        missing = sorted({i for i in ids if fresh or self.index.dn_of(i) is None})
        for anchor in missing:
            self.index.forget(anchor)
        chunks = [missing[i : i + OR_CHUNK] for i in range(0, len(missing), OR_CHUNK)]
        requests = [
            (self.config.base_dn, client.SCOPE_SUBTREE, self.anchor_filter(chunk), [self.config.anchor])
            for chunk in chunks
        ]
        for found in self.client.search_many(requests):
            for dn, raw in found:
                self.index.remember(dn, self.reader().anchor_of(dn, raw))

    def anchor_filter(self, ids: Sequence[str]) -> str:
        terms = "".join(client.equality_filter(self.config.anchor, anchor) for anchor in ids)
        return terms if len(ids) == 1 else f"(|{terms})"


def attribute_values(raw: Mapping[str, list[bytes]], name: str) -> list[bytes]:
    """An attribute's values whatever case the server spelt its name in."""
    values = raw.get(name)
    if values is not None:
        return values
    lowered = name.lower()
    return next((v for k, v in raw.items() if k.lower() == lowered), [])
