"""Case mapping the way .NET does it, and NormalizeDiacritics' character table.

.NET's ``ToUpperInvariant``/``ToLowerInvariant`` use *simple* (one character → one character) mappings,
so ``ß`` stays ``ß`` where Python's ``upper()`` gives ``SS`` (DESIGN decision 8). Turkish and Azeri
cultures map dotted/dotless i specially; every other culture behaves as the invariant one here.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

_TURKIC = frozenset({"tr", "az"})
_TURKIC_UPPER = {"i": "İ", "ı": "I"}
_TURKIC_LOWER = {"I": "ı", "İ": "i"}


@lru_cache(maxsize=4096)
def _upper_char(ch: str) -> str:
    mapped = ch.upper()
    return mapped if len(mapped) == 1 else ch


@lru_cache(maxsize=4096)
def _lower_char(ch: str) -> str:
    if ch == "İ":  # simple lowercase mapping of U+0130 is plain i
        return "i"
    mapped = ch.lower()
    return mapped if len(mapped) == 1 else ch


def _is_turkic(culture: str | None) -> bool:
    return bool(culture) and culture.replace("_", "-").split("-")[0].lower() in _TURKIC  # type: ignore[union-attr]


def to_upper(text: str, culture: str | None = None) -> str:
    if text.isascii():
        return text.upper() if not _is_turkic(culture) else text.replace("i", "İ").upper()
    table = _TURKIC_UPPER if _is_turkic(culture) else {}
    return "".join(table.get(ch) or _upper_char(ch) for ch in text)


def to_lower(text: str, culture: str | None = None) -> str:
    if text.isascii() and not _is_turkic(culture):
        return text.lower()
    table = _TURKIC_LOWER if _is_turkic(culture) else {}
    return "".join(table.get(ch) or _lower_char(ch) for ch in text)


# The documented table (FN NormalizeDiacritics); letters not listed lose their combining marks (NFD).
_DIACRITICS = {
    "æ": "ae",
    "ǣ": "ae",
    "Æ": "AE",
    "Ǣ": "AE",
    "ø": "oe",
    "Ø": "OE",
    "œ": "oe",
    "Œ": "OE",
    "ß": "ss",
    "ł": "l",
    "Ł": "L",
    "ı": "i",
    "İ": "I",
    "đ": "d",
    "Đ": "D",
    "ð": "d",
    "Ð": "D",
    "þ": "th",
    "Þ": "TH",
    "ħ": "h",
    "Ħ": "H",
    "ŀ": "l",
    "Ŀ": "L",
}


@lru_cache(maxsize=4096)
def _plain(ch: str) -> str:
    if ch.isascii():
        return ch
    if ch in _DIACRITICS:
        return _DIACRITICS[ch]
    if unicodedata.combining(ch):  # a mark left over after composing (ø̄, œ̄, e̊̄): dropped
        return ""
    decomposed = unicodedata.normalize("NFD", ch)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return stripped or ch


def normalize_diacritics(text: str) -> str:
    if text.isascii():
        return text
    composed = unicodedata.normalize("NFC", text)
    return "".join(_plain(ch) for ch in composed)


_SEPARATOR_CATEGORIES = frozenset(
    {"Zs", "Zl", "Zp", "Cc", "Cf", "Pc", "Pd", "Ps", "Pe", "Pi", "Pf", "Po", "Sm", "Sc", "Sk", "So"}
)


def _title_case_default(text: str) -> str:
    """.NET ``TextInfo.ToTitleCase`` on lower-cased text: a word starts at a letter and runs until a word
    separator (spaces, controls, punctuation, symbols); digits, marks and the apostrophe stay inside it, so
    ``3rd`` → ``3Rd`` and ``o'neil`` → ``O'neil``."""
    out: list[str] = []
    in_word = False
    for ch in to_lower(text):
        category = unicodedata.category(ch)
        if in_word and (ch == "'" or category not in _SEPARATOR_CATEGORIES):
            out.append(ch)
            continue
        in_word = category.startswith("L")
        out.append(to_upper(ch) if in_word else ch)
    return "".join(out)


def proper_case(text: str, separators: str | None) -> str:
    """PCase: first letter of every word upper-case, the rest lower-case. Without ``separators`` the .NET
    title-case rules apply (after lower-casing, since all-caps input is documented to become proper case);
    with them, only those characters separate words."""
    if not separators:
        return _title_case_default(text)
    out: list[str] = []
    start_of_word = True
    for ch in text:
        if ch in separators:
            out.append(ch)
            start_of_word = True
            continue
        out.append(to_upper(ch) if start_of_word else to_lower(ch))
        start_of_word = False
    return "".join(out)
