"""DateTime parsing and formatting the way .NET does it (en-US / invariant), without .NET.

- ``parse_date``: ``CDate``'s lenient parse — ISO 8601 (with or without time, offset or ``Z``),
  ``M/d/yyyy [h:mm[:ss] [AM|PM]]``, and month-name forms; naive values are UTC, offsets are converted.
- ``parse_exact`` / ``format_custom``: .NET custom format strings (``yyyy``, ``MM``, ``dd``, ``HH``,
  ``hh``, ``mm``, ``ss``, ``f``…``fffffff``, ``F``…, ``tt``, ``zzz``, ``K``, quoted literals, ``\\x``) and
  the standard one-letter formats (``o``, ``s``, ``u``, ``d``, ``G``, ...).
- FILETIME conversion (100-ns ticks since 1601-01-01 UTC) for DateFromNum / NumFromDate.

Every DateTime value is an aware ``datetime`` in UTC (the service runs in UTC).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from functools import lru_cache

_MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]
_DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
_OFFSET = r"(?P<tz>Z|z|GMT|UTC|[+-]\d{1,2}(?::?\d{2})?)"
_TIME = r"(?P<h>\d{1,2}):(?P<mi>\d{2})(?::(?P<s>\d{2})(?:[.,](?P<f>\d+))?)?"
_AMPM = r"(?:\s*(?P<tt>[AaPp]\.?[Mm]\.?))"
_PATTERNS = [
    re.compile(
        rf"(?P<y>\d{{4}})-(?P<mo>\d{{1,2}})-(?P<d>\d{{1,2}})(?:[Tt ]\s*{_TIME}{_AMPM}?)?\s*{_OFFSET}?"
    ),
    re.compile(
        rf"(?P<y>\d{{4}})/(?P<mo>\d{{1,2}})/(?P<d>\d{{1,2}})(?:[Tt ]\s*{_TIME}{_AMPM}?)?\s*{_OFFSET}?"
    ),
    re.compile(rf"(?P<mo>\d{{1,2}})/(?P<d>\d{{1,2}})/(?P<y>\d{{4}})(?:\s+{_TIME}{_AMPM}?)?\s*{_OFFSET}?"),
    re.compile(
        rf"(?:\w+,?\s+)?(?P<d>\d{{1,2}})[ -](?P<mn>[A-Za-z]{{3,}})\.?,?[ -](?P<y>\d{{4}})"
        rf"(?:\s+{_TIME}{_AMPM}?)?\s*{_OFFSET}?"
    ),
    re.compile(
        rf"(?:\w+,?\s+)?(?P<mn>[A-Za-z]{{3,}})\.?\s+(?P<d>\d{{1,2}}),?\s+(?P<y>\d{{4}})"
        rf"(?:\s+{_TIME}{_AMPM}?)?\s*{_OFFSET}?"
    ),
]
FILETIME_EPOCH = datetime(1601, 1, 1, tzinfo=UTC)


def _month_number(name: str) -> int:
    lowered = name.lower()
    for index, month in enumerate(_MONTHS, start=1):
        if month.lower() == lowered or (month[:3].lower() == lowered[:3] and len(lowered) == 3):
            return index
    raise ValueError(f"unknown month name {name!r}")


def _offset(text: str | None) -> timezone:
    if not text or text.upper() in {"Z", "GMT", "UTC"}:
        return UTC
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    hours, minutes = (int(digits[:-2]), int(digits[-2:])) if len(digits) > 2 else (int(digits), 0)
    return timezone(sign * timedelta(hours=hours, minutes=minutes))


def _hour(hour: int, tt: str | None) -> int:
    if not tt:
        return hour
    pm = tt[0].lower() == "p"
    if not 1 <= hour <= 12:
        raise ValueError("an AM/PM hour must be between 1 and 12")
    return hour % 12 + (12 if pm else 0)


def parse_date(text: str) -> datetime:
    """``CDate``: parse a date/time string to an aware UTC datetime, or raise ValueError."""
    stripped = text.strip()
    for pattern in _PATTERNS:
        match = pattern.fullmatch(stripped)
        if match:
            return _build(match.groupdict())
    raise ValueError(f"cannot read {text!r} as a date (try ISO 8601 such as 2021-06-30T08:00:00Z)")


def _build(parts: dict[str, str | None]) -> datetime:
    month = int(parts.get("mo") or 0) or _month_number(parts.get("mn") or "")
    fraction = (parts.get("f") or "0")[:6].ljust(6, "0")
    hour = _hour(int(parts.get("h") or 0), parts.get("tt"))
    local = datetime(
        int(parts.get("y") or 0),
        month,
        int(parts.get("d") or 0),
        hour,
        int(parts.get("mi") or 0),
        int(parts.get("s") or 0),
        int(fraction),
        tzinfo=_offset(parts.get("tz")),
    )
    return local.astimezone(UTC)


def to_filetime(value: datetime) -> int:
    delta = value.astimezone(UTC) - FILETIME_EPOCH
    return (delta.days * 86_400 + delta.seconds) * 10_000_000 + delta.microseconds * 10


def from_filetime(ticks: int) -> datetime:
    return FILETIME_EPOCH + timedelta(microseconds=ticks // 10)


# ---- .NET custom format strings -------------------------------------------------------------------------

_STANDARD = {
    "d": "M/d/yyyy",
    "D": "dddd, MMMM d, yyyy",
    "f": "dddd, MMMM d, yyyy h:mm tt",
    "F": "dddd, MMMM d, yyyy h:mm:ss tt",
    "g": "M/d/yyyy h:mm tt",
    "G": "M/d/yyyy h:mm:ss tt",
    "m": "MMMM d",
    "M": "MMMM d",
    "o": "yyyy'-'MM'-'dd'T'HH':'mm':'ss'.'fffffffK",
    "O": "yyyy'-'MM'-'dd'T'HH':'mm':'ss'.'fffffffK",
    "r": "ddd, dd MMM yyyy HH':'mm':'ss 'GMT'",
    "R": "ddd, dd MMM yyyy HH':'mm':'ss 'GMT'",
    "s": "yyyy'-'MM'-'dd'T'HH':'mm':'ss",
    "t": "h:mm tt",
    "T": "h:mm:ss tt",
    "u": "yyyy'-'MM'-'dd HH':'mm':'ss'Z'",
    "U": "dddd, MMMM d, yyyy h:mm:ss tt",
    "y": "MMMM yyyy",
    "Y": "MMMM yyyy",
}
_LETTERS = set("dfFghHKmMstyz")


@lru_cache(maxsize=256)
def tokenize(fmt: str) -> tuple[tuple[str, str], ...]:
    """Split a format into ("spec", "yyyy") and ("lit", "-") tokens."""
    fmt = _STANDARD.get(fmt, fmt)
    tokens: list[tuple[str, str]] = []
    i = 0
    while i < len(fmt):
        ch = fmt[i]
        if ch in "'\"":
            end = fmt.find(ch, i + 1)
            if end < 0:
                raise ValueError(f"unterminated quoted text in format {fmt!r}")
            tokens.append(("lit", fmt[i + 1 : end]))
            i = end + 1
        elif ch == "\\" and i + 1 < len(fmt):
            tokens.append(("lit", fmt[i + 1]))
            i += 2
        elif ch == "%" and i + 1 < len(fmt) and fmt[i + 1] in _LETTERS:
            tokens.append(("spec", fmt[i + 1]))
            i += 2
        elif ch in _LETTERS:
            j = i
            while j < len(fmt) and fmt[j] == ch:
                j += 1
            tokens.append(("spec", fmt[i:j]))
            i = j
        else:
            tokens.append(("lit", ch))
            i += 1
    return tuple(tokens)


def _offset_text(spec: str) -> str:
    # Values are UTC and the service runs in UTC, so z/zz/zzz print a zero offset.
    return {"z": "+0", "zz": "+00"}.get(spec, "+00:00")


def _format_one(spec: str, value: datetime) -> str:
    ch, n = spec[0], len(spec)
    if ch == "y":
        return (
            str(value.year % 100)
            if n == 1
            else (f"{value.year % 100:02d}" if n == 2 else f"{value.year:0{n}d}")
        )
    if ch == "M":
        return (
            [str(value.month), f"{value.month:02d}", _MONTHS[value.month - 1][:3]][n - 1]
            if n < 4
            else _MONTHS[value.month - 1]
        )
    if ch == "d":
        day = _DAYS[value.weekday()]
        return [str(value.day), f"{value.day:02d}", day[:3]][n - 1] if n < 4 else day
    if ch in "hH":
        hour = value.hour if ch == "H" else value.hour % 12 or 12
        return str(hour) if n == 1 else f"{hour:02d}"
    if ch in "ms":
        number = value.minute if ch == "m" else value.second
        return str(number) if n == 1 else f"{number:02d}"
    if ch in "fF":
        digits = f"{value.microsecond:06d}0"[:n].ljust(n, "0")
        return digits if ch == "f" else digits.rstrip("0")
    if ch == "t":
        return ("AM" if value.hour < 12 else "PM")[:n]
    if ch == "z":
        return _offset_text(spec)
    if ch == "K":
        return "Z"
    return "A.D."  # g / gg: the era


def format_custom(value: datetime, fmt: str) -> str:
    """Render ``value`` (shown in UTC) with a .NET custom or standard format string."""
    utc = value.astimezone(UTC)
    return "".join(text if kind == "lit" else _format_one(text, utc) for kind, text in tokenize(fmt))


def _spec_regex(spec: str) -> str:
    ch, n = spec[0], len(spec)
    names = {"M": _MONTHS, "d": _DAYS}
    if ch in "Md" and n >= 3:
        group = "mn" if ch == "M" else "dn"
        return f"(?P<{group}>" + "|".join(name if n > 3 else name[:3] for name in names[ch]) + ")"
    simple = {
        "y": ("y", r"\d{1,4}" if n <= 2 else rf"\d{{{n}}}"),
        "M": ("mo", r"\d{1,2}"),
        "d": ("d", r"\d{1,2}"),
        "h": ("h", r"\d{1,2}"),
        "H": ("h", r"\d{1,2}"),
        "m": ("mi", r"\d{1,2}"),
        "s": ("s", r"\d{1,2}"),
    }
    if ch in simple:
        group, body = simple[ch]
        body = r"\d{2}" if n == 2 and ch != "y" else body
        return f"(?P<{group}>{body})"
    if ch == "f":
        return rf"(?P<f>\d{{{n}}})"
    if ch == "F":
        return rf"(?P<f>\d{{0,{n}}})"
    if ch == "t":
        return r"(?P<tt>[AaPp][Mm]?)"
    if ch in "zK":
        # Optional for z/zzz too: a value without the offset is read as UTC instead of rejected (the
        # Workday guide feeds "2025-12-31" to "yyyy-MM-ddzzz").
        return r"(?P<tz>Z|[+-]\d{1,2}(?::?\d{2})?)?"
    return r"(?:A\.D\.|AD)"


@lru_cache(maxsize=256)
def _exact_regex(fmt: str) -> re.Pattern[str]:
    seen: set[str] = set()
    parts: list[str] = []
    for kind, text in tokenize(fmt):
        if kind == "lit":
            parts.append(r"\s+" if text.isspace() else re.escape(text))
            continue
        piece = _spec_regex(text)
        group = re.match(r"\(\?P<(\w+)>", piece)
        if group and group.group(1) in seen:  # a field written twice: match it, keep the first
            piece = piece.replace(f"(?P<{group.group(1)}>", "(?:", 1)
        elif group:
            seen.add(group.group(1))
        parts.append(piece)
    return re.compile("".join(parts), re.IGNORECASE)


def parse_exact(text: str, fmt: str) -> datetime:
    """``DateTime.ParseExact`` with leading/trailing white space allowed; result in UTC."""
    match = _exact_regex(fmt).fullmatch(text.strip())
    if not match:
        raise ValueError(f"{text!r} does not match the format {fmt!r}")
    parts = match.groupdict()
    year = parts.get("y")
    if year is not None and len(year) <= 2:
        number = int(year)
        parts["y"] = str(2000 + number if number < 50 else 1900 + number)
    parts.setdefault("y", "1")
    parts["y"] = parts["y"] or "1"
    parts["d"] = parts.get("d") or "1"
    if not parts.get("mo") and not parts.get("mn"):
        parts["mo"] = "1"
    return _build(parts)
