"""String functions: Append, Prepend, Join, Left, Mid, Len, Word, Split, StripSpaces, Trim, ToLower,
ToUpper, PCase, NormalizeDiacritics, InStr.

Null policy (DESIGN decision 3, written once here): a function given a null source returns null, except
where the documentation says otherwise — Join skips null and empty sources (all skipped → ""), Coalesce
skips nulls, Left and Word treat null as "" and Len as 0, the Is* functions test it, Count gives 0.
String functions given a multi-valued attribute apply to each value (the documented Trim behaviour) and
return a multi-valued result. Integer arguments accept numbers or numeric strings (``Mid([x], "1", "2")``).
"""

from __future__ import annotations

from typing import Any

from ._casemap import normalize_diacritics, proper_case, to_lower, to_upper
from ._registry import Param, function
from ._values import ArgumentError, single, text_arg, to_int, to_text, values_of

_TEXT_COMPARE = {"vbTextCompare": True, "vbBinaryCompare": False}


def _text(value: Any) -> str | None:
    return to_text(value)


@function("Append", Param("source"), Param("suffix"), elementwise=True)
def append(source: Any, suffix: Any) -> str | None:
    text = _text(source)
    if text is None:
        return None
    return text + (text_arg(suffix, "suffix") or "")


@function("Prepend", Param("prefix"), Param("source"))
def prepend(prefix: Any, source: Any) -> Any:
    prefix_text = text_arg(prefix, "prefix") or ""
    if isinstance(source, list | tuple):
        return [prefix_text + (to_text(v) or "") for v in source]
    text = _text(source)
    return None if text is None else prefix_text + text


@function("Join", Param("separator"), Param("source", repeat=True))
def join(separator: Any, *sources: Any) -> str:
    sep = separator if separator.__class__ is str else text_arg(separator, "separator") or ""
    parts: list[str] = []
    for source in sources:
        if source.__class__ is str:  # the common case: one string value
            if source:
                parts.append(source)
        elif source is not None:
            parts.extend(text for text in map(to_text, values_of(source)) if text)
    return sep.join(parts)


@function("Left", Param("source"), Param("length", "Integer"), elementwise=True)
def left(source: Any, length: Any) -> str:
    text = _text(source) or ""
    count = to_int(single(length, "length"), "length")
    return text if count < 0 else text[:count]


@function(
    "Mid", Param("source"), Param("start", "Integer"), Param("length", "Integer"), elementwise=True, minimum=2
)
def mid(source: Any, start: Any, length: Any = None) -> str | None:
    """Mid(source, start, length); without length (cloud sync's ``Mid(..., 6)``) the rest of the string."""
    text = _text(source)
    if text is None:
        return None
    first = to_int(single(start, "start"), "start")
    count = len(text) if length is None else to_int(single(length, "length"), "length")
    if first < 1:
        raise ArgumentError("start", f"must be 1 or more (positions are 1-based), got {first}")
    if count < 0:
        raise ArgumentError("length", f"must not be negative, got {count}")
    return text[first - 1 : first - 1 + count]


@function("Len", Param("source"), elementwise=True)
def length(source: Any) -> int:
    text = _text(source)
    return 0 if text is None else len(text)


@function("Word", Param("source"), Param("wordNumber", "Integer"), Param("delimiters"), elementwise=True)
def word(source: Any, number: Any, delimiters: Any) -> str:
    text = _text(source) or ""
    index = to_int(single(number, "wordNumber"), "wordNumber")
    delims = set(text_arg(delimiters, "delimiters") or "")
    words: list[str] = []
    current: list[str] = []
    for ch in text:
        if ch in delims:
            if current:
                words.append("".join(current))
            current = []
        else:
            current.append(ch)
    if current:
        words.append("".join(current))
    return words[index - 1] if 1 <= index <= len(words) else ""


@function("Split", Param("source"), Param("delimiter", required=False))
def split(source: Any, delimiter: Any = None) -> list[str] | None:
    """Split on the delimiter (default ","). Parts are trimmed of surrounding spaces, as the documented
    example shows (``"PermissionSetOne, PermissionSetTwo"`` → two values without the space)."""
    values = values_of(source)
    if source is None:
        return None
    sep = text_arg(delimiter, "delimiter")
    sep = "," if sep is None or sep == "" else sep
    return [part.strip(" ") for value in values for part in (to_text(value) or "").split(sep)]


@function("StripSpaces", Param("source"), elementwise=True)
def strip_spaces(source: Any) -> str | None:
    text = _text(source)
    return None if text is None else text.replace(" ", "")


@function("Trim", Param("source"), elementwise=True)
def trim(source: Any) -> str | None:
    text = _text(source)
    return None if text is None else text.strip()


def _culture(culture: Any) -> str | None:
    if culture is None:  # the common case: no culture given
        return None
    return text_arg(culture, "culture")


@function("ToLower", Param("source"), Param("culture", required=False), elementwise=True)
def lower(source: Any, culture: Any = None) -> str | None:
    text = _text(source)
    return None if text is None else to_lower(text, _culture(culture))


@function("ToUpper", Param("source"), Param("culture", required=False), elementwise=True)
def upper(source: Any, culture: Any = None) -> str | None:
    text = _text(source)
    return None if text is None else to_upper(text, _culture(culture))


@function("PCase", Param("source"), Param("wordSeparators", required=False), elementwise=True)
def pcase(source: Any, separators: Any = None) -> str | None:
    text = _text(source)
    if text is None:
        return None
    seps = text_arg(separators, "wordSeparators")
    return proper_case(text, seps or None)


@function("NormalizeDiacritics", Param("source"), elementwise=True)
def diacritics(source: Any) -> str | None:
    text = _text(source)
    return None if text is None else normalize_diacritics(text)


@function(
    "InStr",
    Param("value1"),
    Param("value2"),
    Param("start", "Integer", required=False),
    Param("compareType", required=False, keywords=frozenset(_TEXT_COMPARE)),
)
def instr(value1: Any, value2: Any, start: Any = None, compare: Any = None) -> int | None:
    """1-based position of value2 in value1 at or after start; 0 when absent."""
    haystack, needle = text_arg(value1, "value1"), text_arg(value2, "value2")
    if haystack is None or needle is None:
        return None
    first = 1 if start is None else to_int(single(start, "start"), "start")
    if first < 1:
        raise ArgumentError("start", f"must be 1 or more, got {first}")
    mode = text_arg(compare, "compareType")
    if mode is not None and mode not in _TEXT_COMPARE:
        raise ArgumentError("compareType", f"expected vbTextCompare or vbBinaryCompare, got {mode!r}")
    if mode is not None and _TEXT_COMPARE[mode]:
        haystack, needle = to_lower(haystack), to_lower(needle)
    if first > len(haystack) + 1:
        return 0
    return haystack.find(needle, first - 1) + 1
