"""Encoding, multi-valued and generated values: ConvertToBase64, ConvertFromBase64, ConvertToUTF8Hex,
CStr, CRef, Count, Item, RemoveDuplicates, DNComponent, StringFromSid, Redact, Guid, RandomString."""

from __future__ import annotations

import base64
import binascii
import secrets
import string
import uuid
from typing import Any

from ._registry import Param, function
from ._values import ArgumentError, single, text_arg, to_int, to_text, values_of

_ENCODINGS = {"unicode": "utf-16-le", "ascii": "ascii", "utf8": "utf-8", "utf-8": "utf-8"}
_SPECIALS = "~!@#$%^&*_-+=`|\\(){}[]:;\"'<>,.?/"


@function("ConvertToBase64", Param("source"), elementwise=True)
def to_base64(source: Any) -> str | None:
    """Base64 of the string's UTF-16LE ("Unicode") bytes."""
    text = to_text(source)
    return None if text is None else base64.b64encode(text.encode("utf-16-le")).decode("ascii")


@function(
    "ConvertFromBase64",
    Param("source"),
    Param("encoding", required=False, keywords=frozenset({"Unicode", "ASCII", "UTF8"})),
    elementwise=True,
)
def from_base64(source: Any, encoding: Any = None) -> str | None:
    text = to_text(source)
    if text is None:
        return None
    name = (text_arg(encoding, "encoding") or "Unicode").lower()
    if name not in _ENCODINGS:
        raise ArgumentError("encoding", f"expected Unicode, ASCII or UTF8, got {name!r}")
    try:
        raw = base64.b64decode(text, validate=True)
        return raw.decode(_ENCODINGS[name])
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise ArgumentError("source", f"not valid base64 text in {name}: {exc}") from None


@function("ConvertToUTF8Hex", Param("source"), elementwise=True)
def to_utf8_hex(source: Any) -> str | None:
    text = to_text(source)
    return None if text is None else text.encode("utf-8").hex().upper()


@function("CStr", Param("source"))
def cstr(value: Any) -> Any:
    if isinstance(value, list | tuple):
        return [to_text(v) for v in value]
    return to_text(value)


@function("CRef", Param("source", "Reference"))
def cref(value: Any) -> Any:
    """Cloud sync writes ``CRef([dn])`` to use a reference value as its DN string: the value itself."""
    return value


@function("Count", Param("source"))
def count(value: Any) -> int:
    return len(values_of(value))


@function("Item", Param("source"), Param("index", "Integer"))
def item(value: Any, index: Any) -> Any:
    """The index-th value (1-based) of a multi-valued attribute; out of range is an error."""
    if value is None:
        return None
    values = values_of(value)
    position = to_int(single(index, "index"), "index")
    if not 1 <= position <= len(values):
        raise ArgumentError("index", f"{position} is out of range: the attribute has {len(values)} value(s)")
    return values[position - 1]


@function("RemoveDuplicates", Param("source"))
def remove_duplicates(value: Any) -> Any:
    if not isinstance(value, list | tuple):
        return value
    seen: dict[Any, None] = {}
    for v in value:
        if v is not None:
            seen.setdefault(v, None)
    return list(seen)


def _rdns(dn: str) -> list[str]:
    """Split a DN into RDNs at unescaped commas."""
    parts: list[str] = []
    current: list[str] = []
    escaped = False
    for ch in dn:
        if escaped:
            current.append(ch)
            escaped = False
        elif ch == "\\":
            current.append(ch)
            escaped = True
        elif ch == ",":
            parts.append("".join(current).strip())
            current = []
        else:
            current.append(ch)
    parts.append("".join(current).strip())
    return parts


@function("DNComponent", Param("source", "Reference"), Param("componentNumber", "Integer"), elementwise=True)
def dn_component(dn: Any, number: Any) -> str | None:
    """Value of the n-th RDN from the left: ``DNComponent("cn=Joe,ou=x", 1)`` → ``Joe``."""
    text = to_text(dn)
    if text is None:
        return None
    position = to_int(single(number, "componentNumber"), "componentNumber")
    rdns = _rdns(text)
    if not 1 <= position <= len(rdns):
        return None
    _, _, value = rdns[position - 1].partition("=")
    return value.strip()


@function("StringFromSid", Param("source", "Binary"), elementwise=True)
def string_from_sid(value: Any) -> str | None:
    """Binary SID (bytes, or base64 text) → ``S-1-5-21-...``."""
    if value is None:
        return None
    raw = value if isinstance(value, bytes) else _b64(to_text(value) or "")
    if len(raw) < 8 or len(raw) != 8 + 4 * raw[1]:
        raise ArgumentError("source", "not a binary SID")
    authority = int.from_bytes(raw[2:8], "big")
    subs = [str(int.from_bytes(raw[8 + 4 * i : 12 + 4 * i], "little")) for i in range(raw[1])]
    return "-".join(["S", str(raw[0]), str(authority), *subs])


def _b64(text: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except binascii.Error:
        raise ArgumentError("source", "binary values are given as base64 text") from None


@function("Redact", Param("source"))
def redact(value: Any) -> Any:
    """The value flows unchanged; provisioning logs show ``[Redact]`` instead."""
    return value


@function("Guid", pure=False)
def new_guid() -> str:
    return str(uuid.uuid4())


@function(
    "RandomString",
    Param("length", "Integer"),
    Param("minimumNumbers", "Integer"),
    Param("minimumSpecialCharacters", "Integer"),
    Param("minimumCapital", "Integer"),
    Param("minimumLowerCase", "Integer"),
    Param("charactersToAvoid", required=False),
    pure=False,
)
def random_string(
    length: Any, numbers: Any, specials: Any, capitals: Any, lowers: Any, avoid: Any = None
) -> str:
    """A random string of exactly ``length`` characters (at most 256) meeting each minimum."""
    size = to_int(single(length, "length"), "length")
    minimums = [
        to_int(single(v, k), k)
        for v, k in (
            (numbers, "minimumNumbers"),
            (specials, "minimumSpecialCharacters"),
            (capitals, "minimumCapital"),
            (lowers, "minimumLowerCase"),
        )
    ]
    if not 0 < size <= 256:
        raise ArgumentError("length", f"must be between 1 and 256, got {size}")
    if any(m < 0 for m in minimums) or sum(minimums) > size:
        raise ArgumentError(None, f"the minimums ({sum(minimums)} characters) do not fit in length {size}")
    banned = set(text_arg(avoid, "charactersToAvoid") or "")
    pools = [
        [c for c in pool if c not in banned]
        for pool in (string.digits, _SPECIALS, string.ascii_uppercase, string.ascii_lowercase)
    ]
    if any(m and not pool for m, pool in zip(minimums, pools, strict=True)):
        raise ArgumentError("charactersToAvoid", "leaves no characters for a required class")
    chars = [secrets.choice(pool) for m, pool in zip(minimums, pools, strict=True) for _ in range(m)]
    everything = [c for pool in pools for c in pool]
    chars += [secrets.choice(everything) for _ in range(size - len(chars))]
    secrets.SystemRandom().shuffle(chars)
    return "".join(chars)


_CASE_TYPES = frozenset({"CaseSensitive", "CaseInsensitive", "vbTextCompare", "vbBinaryCompare"})


@function(
    "Contains",
    Param("source"),
    Param("search"),
    Param("caseType", required=False, keywords=_CASE_TYPES),
)
def contains(value: Any, search: Any, case_type: Any = None) -> int | None:
    """1-based index of the first value that contains ``search`` (case-sensitive unless CaseInsensitive),
    0 when none does — cloud sync's ``Item([proxyAddresses], Contains([proxyAddresses], "SMTP:"))``."""
    if value is None:
        return None
    needle = text_arg(search, "search") or ""
    insensitive = text_arg(case_type, "caseType") in ("CaseInsensitive", "vbTextCompare")
    if insensitive:
        needle = needle.lower()
    for index, item in enumerate(values_of(value), start=1):
        text = to_text(item) or ""
        if needle in (text.lower() if insensitive else text):
            return index
    return 0
