"""How a scoping clause sees an attribute value: a list of non-empty scalars, in Entra's string form.

Values come as the expressions package has them (None, str, bool, int, float, datetime, list). Null, the
empty string and empty lists are all "empty" (spec §B.2 common rules).
"""

from __future__ import annotations

import re
from typing import Any

from expressions import format_value

_INTEGER = re.compile(r"^\s*[-+]?\d+\s*$")


def scalars(value: Any) -> list[Any]:
    """The non-empty values of a (possibly multi-valued) attribute; ``[]`` when empty."""
    if isinstance(value, list | tuple | set | frozenset):
        return [v for v in value if v is not None and v != ""]
    if value is None or value == "":
        return []
    return [value]


def as_text(value: Any) -> str:
    """Entra's string rendering of a scalar (``True``/``False``, integers in decimal, dates as Entra prints
    them), shared with the expressions package so a clause sees what a mapping would export."""
    if type(value) is str:
        return value
    return str(format_value(value))


def as_integer(value: Any) -> int | None:
    """The value as an integer, or None when it is not one (Booleans are not integers)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and _INTEGER.match(value):
        return int(value)
    return None


def as_boolean(value: Any) -> bool | None:
    """True / False for Booleans and their string forms (any case); None for anything else."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        lowered = value.strip().lower()
        if lowered in ("true", "false"):
            return lowered == "true"
    return None


def dotnet_regex(pattern: str) -> str:
    """Translate the .NET regex syntax Python spells differently: named groups ``(?<n>…)`` / ``(?'n'…)``
    and back-references ``\\k<n>``. Everything else the real schemas use means the same in both."""
    pattern = re.sub(r"\(\?<([A-Za-z_]\w*)>", r"(?P<\1>", pattern)
    pattern = re.sub(r"\(\?'([A-Za-z_]\w*)'", r"(?P<\1>", pattern)
    return re.sub(r"\\k<([A-Za-z_]\w*)>", r"(?P=\1)", pattern)
