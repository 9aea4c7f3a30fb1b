"""LDAP entries -> ``DirectoryObject``: the DN <-> id index and per-attribute converters. No I/O.

This is the hot path of a full read: each attribute name the server returns is looked up in the schema once
and gets a converter; an entry then costs one dict lookup per attribute, text (most attributes) is decoded
inline, and each page's anchors and DNs are indexed in bulk (C-level ``map``/``dict.update``).

DN keys are the DN lower-cased. The server spells an entry's DN the same way in search results and in the
member values it stores, so that matches without parsing every DN (``ldap.dn`` costs more than the rest of
the conversion); a differently spelt DN misses the index and is resolved by the server, which adds that
spelling as an alias. (Two DNs differing only in the case of a caseExact naming value would share a key:
no standard naming attribute is caseExact.)
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Iterable, Mapping, Sequence
from itertools import chain, repeat
from operator import itemgetter, methodcaller
from typing import Any

from .._base import DirectoryObject, Scalar, Value
from .._errors import ConnectorConfigError
from ._schema import Schema
from ._values import (
    REFERENCE_ATTRIBUTES,
    SECRET_ATTRIBUTES,
    AttributeInfo,
    Kind,
    decode,
    decode_one,
    generalized_to_iso,
    reference_dn,
)

Converter = Callable[[list[bytes]], Value]
"""Raw values of one attribute -> its connector value."""
RawEntry = Mapping[str, list[bytes]]


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

    def remember_all(self, dns: list[str], anchors: list[str]) -> None:
        """``remember`` each (DN, anchor) pair in turn; in bulk when no anchor was known by another DN and
        none comes twice (nothing to forget then: the usual case)."""
        if len(set(anchors)) == len(anchors) and list(map(self._dns.get, anchors, dns)) == dns:
            self._dns.update(zip(anchors, dns, strict=True))
            self._ids.update(zip(map(str.lower, dns), anchors, strict=True))
            return
        for dn, anchor in zip(dns, anchors, strict=True):
            self.remember(dn, anchor)

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
_first = itemgetter(0)


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


_GENERALIZED_PARTS = struct.Struct("4s2s2s2s2s2sx").unpack
"""``YYYYMMDDHHMMSSZ`` (the form servers write) -> its six numbers, as bytes, in C."""
_ZULU = ord("Z")


def _time(raw: bytes) -> str:
    if len(raw) == 15 and raw[14] == _ZULU and raw[:14].isdigit():  # the common form, without a regex
        return (b"%s-%s-%sT%s:%s:%sZ" % _GENERALIZED_PARTS(raw)).decode()
    return generalized_to_iso(raw.decode("ascii", "replace"))


def _one_time(raws: list[bytes]) -> Value:
    return _time(raws[0]) if raws else None


def _times(raws: list[bytes]) -> Value:
    return list(map(_time, raws))


class EntryReader:
    """Turns python-ldap's ``(dn, {name: [bytes]})`` into connector objects, references as ids."""

    def __init__(self, schema: Schema, anchor: str, index: DnIndex) -> None:
        self.schema = schema
        self.anchor = anchor
        self.index = index
        self._converters: dict[str, tuple[str, Converter | None]] = {}
        self._references: set[str] = set()
        for name in REFERENCE_ATTRIBUTES:  # as the schema spells them (the server's usual spelling)
            self._converter(schema.info(name).name)

    def anchor_of(self, dn: str, raw: RawEntry) -> str:
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

    def _anchors(self, entries: Sequence[tuple[str, RawEntry]]) -> list[str]:
        """``anchor_of`` each entry: in C when every entry has the anchor spelt as configured."""
        try:
            return list(map(_utf8, map(_first, map(itemgetter(self.anchor), map(itemgetter(1), entries)))))
        except (KeyError, IndexError, UnicodeDecodeError):
            return [self.anchor_of(dn, raw) for dn, raw in entries]

    # --- per-attribute converters ------------------------------------------------------------------------

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
            return info.name, _one_time if info.single_value else _times
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

    # --- pages -------------------------------------------------------------------------------------------

    def objects(
        self, object_type: str, entries: Sequence[tuple[str, RawEntry]], resolve: Callable[[set[str]], None]
    ) -> list[DirectoryObject]:
        """The entries as objects, their references as ids. The entries' own DNs are indexed first, so
        references within the page (a manager read with their reports) need no lookup; ``resolve`` then
        indexes the other DNs they name (the server's lookups)."""
        anchors = self._anchors(entries)
        self.index.remember_all([dn for dn, _ in entries], anchors)
        seen = len(self._references)
        resolve(self._unknown_references(entries))
        objects = self._to_objects(object_type, anchors, entries)
        if len(self._references) != seen:  # a reference attribute met (spelt so) for the first time
            resolve(self._unknown_references(entries))
            objects = self._to_objects(object_type, anchors, entries)
        return objects

    def _unknown_references(self, entries: Sequence[tuple[str, RawEntry]]) -> set[str]:
        """The DNs the entries' references name that the index does not know."""
        values: set[bytes] = set()
        raws = [raw for _, raw in entries]
        for name in self._references:
            values.update(chain.from_iterable(map(methodcaller("get", name, ()), raws)))
        # only uniqueMember values carry a '#' (an optional unique id): skip the regex otherwise
        dns = {reference_dn(value) if b"#" in value else value.decode() for value in values if value}
        return {dn for dn in dns if self.index.id_of(dn) is None}

    def _to_objects(
        self, object_type: str, anchors: Sequence[str], entries: Sequence[tuple[str, RawEntry]]
    ) -> list[DirectoryObject]:
        """The entries as objects, with these anchors (references resolved beforehand)."""
        attributes: list[dict[str, Any]] = []
        cursors: list[str | None] = []
        converters = self._converters
        for _, raw in entries:
            converted: dict[str, Any] = {}
            cursor: str | None = None
            for name, values in raw.items():
                try:
                    target, convert = converters[name]
                except KeyError:
                    target, convert = self._converter(name)
                # text, most attributes: decoded inline (UTF-8, in C); other values, and text that is not
                # UTF-8, by the attribute's converter
                if convert is _texts:
                    try:
                        converted[target] = (
                            [values[0].decode()] if len(values) == 1 else list(map(_utf8, values))
                        )
                        continue
                    except UnicodeDecodeError:
                        pass
                elif convert is _text:
                    try:
                        converted[target] = values[0].decode() if values else None
                        continue
                    except UnicodeDecodeError:
                        pass
                elif convert is None:
                    cursor = values[0].decode("ascii") if values else None
                    continue
                elif convert is _skip:
                    continue
                converted[target] = convert(values)
            attributes.append(converted)
            cursors.append(cursor)
        return list(map(DirectoryObject, repeat(object_type), anchors, attributes, repeat(False), cursors))
