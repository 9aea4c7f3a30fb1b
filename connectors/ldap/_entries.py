"""LDAP entries -> ``DirectoryObject``: the DN <-> id index and per-attribute converters. No I/O.

This is the hot path of a full read: each attribute name the server returns is looked up in the schema once
and gets a converter closure; an entry then costs one dict lookup and one call per attribute.

DN keys are the DN lower-cased. The server spells an entry's DN the same way in search results and in the
member values it stores, so that matches without parsing every DN (``ldap.dn`` costs more than the rest of
the conversion); a differently spelt DN misses the index and is resolved by the server, which adds that
spelling as an alias. (Two DNs differing only in the case of a caseExact naming value would share a key:
no standard naming attribute is caseExact.)
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from .._base import DirectoryObject, Scalar, Value
from .._errors import ConnectorConfigError
from ._schema import Schema
from ._values import (
    SECRET_ATTRIBUTES,
    AttributeInfo,
    Kind,
    decode,
    decode_one,
    generalized_to_iso,
    reference_dn,
)

Converter = Callable[[list[bytes]], Value]


CURSOR_ATTRIBUTE = "entrycsn"


INDEX_LIMIT = 250_000
"""Entries past which the DN index starts again (about 60 MB): DNs it no longer knows are looked up again, so
a daemon over a directory of millions keeps bounded memory. It is trimmed only between pages and batches
(``trim``), never while one is being resolved and converted."""


class DnIndex:
    """Which id each known DN has, and which DN each known id has."""

    def __init__(self) -> None:
        self._ids: dict[str, str] = {}
        self._dns: dict[str, str] = {}

    def trim(self) -> None:
        """Start again when over ``INDEX_LIMIT`` (call between pages and batches only)."""
        if len(self._dns) >= INDEX_LIMIT:
            self._ids.clear()  # cleared in place: the read hot path holds a reference to it
            self._dns.clear()

    def remember(self, dn: str, anchor: str, *aliases: str) -> None:
        previous = self._dns.get(anchor)
        if previous is not None and previous != dn:  # renamed: the old DN names nothing now
            self._ids.pop(previous.lower(), None)
        self._dns[anchor] = dn
        for name in (dn, *aliases):
            self._ids[name.lower()] = anchor

    @property
    def ids_by_key(self) -> Mapping[str, str]:
        """The live DN key -> id mapping (for the read hot path)."""
        return self._ids

    def id_of(self, dn: str) -> str | None:
        return self._ids.get(dn.lower())

    def dn_of(self, anchor: str) -> str | None:
        return self._dns.get(anchor)

    def forget(self, anchor: str) -> None:
        dn = self._dns.pop(anchor, None)
        if dn is not None:
            self._ids.pop(dn.lower(), None)

    def unknown_dns(self, dns: Iterable[str]) -> list[str]:
        """These DNs minus the known ones and the empty placeholder DN."""
        return sorted({dn for dn in dns if dn and dn.lower() not in self._ids})


_utf8 = bytes.decode  # UTF-8 by default, in C


def _skip(raws: list[bytes]) -> Value:
    """The converter of attributes that are never read (``SECRET_ATTRIBUTES``)."""
    return None


def _texts(raws: list[bytes]) -> Value:
    try:
        return list(map(bytes.decode, raws))  # UTF-8, in C
    except UnicodeDecodeError:
        return decode(AttributeInfo("text"), raws)


def _text(raws: list[bytes]) -> Value:
    if not raws:
        return None
    try:
        return raws[0].decode("utf-8")
    except UnicodeDecodeError:
        return decode_one(AttributeInfo("text"), raws[0])


def _time(raw: bytes) -> str:
    text = raw.decode("ascii", "replace")
    if len(text) == 15 and text[-1] == "Z" and text[:14].isdigit():  # the common form, without a regex
        return f"{text[0:4]}-{text[4:6]}-{text[6:8]}T{text[8:10]}:{text[10:12]}:{text[12:14]}Z"
    return generalized_to_iso(text)


class EntryReader:
    """Turns python-ldap's ``(dn, {name: [bytes]})`` into connector objects, references as ids."""

    def __init__(self, schema: Schema, anchor: str, index: DnIndex) -> None:
        self.schema = schema
        self.anchor = anchor
        self.index = index
        self._converters: dict[str, tuple[str, Converter | None]] = {}
        self._references: set[str] = set()

    def anchor_of(self, dn: str, raw: Mapping[str, list[bytes]]) -> str:
        values = raw.get(self.anchor) or next(
            (v for k, v in raw.items() if k.lower() == self.anchor.lower()), []
        )
        if not values:
            raise ConnectorConfigError(
                f"entry {dn!r} has no value for the anchor attribute {self.anchor!r}; "
                "choose an anchor every entry has (entryUUID)",
                setting="anchor",
            )
        try:
            return values[0].decode("utf-8")
        except UnicodeDecodeError:
            raise ConnectorConfigError(
                f"the anchor attribute {self.anchor!r} of {dn!r} holds binary values (such as AD's "
                "objectGUID), which this connector cannot use as ids; choose a text anchor (entryUUID)",
                setting="anchor",
            ) from None

    def _converter(self, name: str) -> tuple[str, Converter | None]:
        found = self._converters.get(name)
        if found is None:
            found = self._converters[name] = self._build(name)
        return found

    def _build(self, name: str) -> tuple[str, Converter | None]:
        info = self.schema.info(name)
        if name.lower() == CURSOR_ATTRIBUTE:
            return info.name, None
        if name.split(";")[0].lower() in SECRET_ATTRIBUTES:
            return info.name, _skip
        if info.is_reference:
            self._references.add(name)
            return info.name, self._reference_converter(info)
        if info.kind is Kind.STRING:
            return info.name, _text if info.single_value else _texts
        if info.kind is Kind.DATETIME:
            if info.single_value:
                return info.name, lambda raws: _time(raws[0]) if raws else None
            return info.name, lambda raws: [_time(raw) for raw in raws]
        return info.name, lambda raws: decode(info, raws)

    def _reference_converter(self, info: AttributeInfo) -> Converter:
        known = self.index.ids_by_key

        def ids(raws: list[bytes]) -> Value:
            found: list[Scalar] = []
            for raw in raws:
                # only uniqueMember values carry a '#' (an optional unique id): skip the regex otherwise
                anchor = (
                    known.get((reference_dn(raw) if b"#" in raw else raw.decode()).lower()) if raw else None
                )
                if anchor is not None:
                    found.append(anchor)
            if info.single_value:
                return found[0] if found else None
            return found

        return ids

    def index_page(
        self, entries: Sequence[tuple[str, Mapping[str, list[bytes]]]]
    ) -> tuple[list[str], set[str]]:
        """Index the entries' own DNs: (their anchors, the DNs their references name that are still
        unknown, to resolve before ``to_object``). Indexing the page first means references within the
        page (a manager read with their reports) need no lookup."""
        anchors = [self.anchor_of(dn, raw) for dn, raw in entries]
        dns: set[str] = set()
        known = self._converters.keys()
        references = self._references
        for (dn, raw), anchor in zip(entries, anchors, strict=True):
            self.index.remember(dn, anchor)
            if not raw.keys() <= known:  # subset tests in C: the common case builds no set
                for name in raw.keys() - known:
                    self._converter(name)
            if references and not references.isdisjoint(raw):
                for name in raw.keys() & references:
                    dns.update(reference_dn(value) for value in raw[name] if value)
        return anchors, {dn for dn in dns if self.index.id_of(dn) is None}

    def to_object(self, object_type: str, anchor: str, raw: Mapping[str, list[bytes]]) -> DirectoryObject:
        """The entry as an object (``anchor`` from ``index_page``)."""
        attributes: dict[str, Any] = {}
        cursor: str | None = None
        converters = self._converters
        for name, values in raw.items():
            spec = converters.get(name) or self._converter(name)
            convert = spec[1]
            if convert is _texts:  # most attributes: decoded inline, without a Python call per attribute
                try:
                    attributes[spec[0]] = list(map(_utf8, values))
                    continue
                except UnicodeDecodeError:
                    pass
            if convert is None:
                cursor = values[0].decode("ascii") if values else None
            elif convert is not _skip:
                attributes[spec[0]] = convert(values)
        return DirectoryObject(object_type, anchor, attributes, cursor=cursor)
