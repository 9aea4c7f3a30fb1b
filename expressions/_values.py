"""The value model (spec §A.3) and Entra's string rendering of values.

Values are plain Python: ``None`` (null), ``str``, ``bool``, ``int``/``float``, ``datetime`` (aware, UTC),
``list`` (multi-valued) and the two flow sentinels. Functions raise ``ArgumentError`` for a bad argument;
the compiler turns it into an ``ExpressionEvaluationError`` naming the function. ``IgnoreAttributeFlow`` /
``IgnoreObjectFlow`` travel up as a ``FlowSignal`` exception, so they win from any depth of nesting at no
cost on the normal path; ``CompiledExpression.evaluate`` turns the signal back into the sentinel.
"""

from __future__ import annotations

import base64
import json
import math
from datetime import UTC, datetime
from typing import Any, Final


class _Sentinel:
    __slots__ = ("_name",)

    def __init__(self, name: str) -> None:
        self._name = name

    def __repr__(self) -> str:
        return self._name

    def __reduce__(self) -> str:
        return self._name


IGNORE_ATTRIBUTE: Final = _Sentinel("IGNORE_ATTRIBUTE")
"""The mapping produces no value: leave the target attribute out of this export."""
IGNORE_OBJECT: Final = _Sentinel("IGNORE_OBJECT")
"""The whole object is suppressed (``IgnoreObjectFlow``)."""


class FlowSignal(Exception):
    """Raised by IgnoreAttributeFlow / IgnoreObjectFlow / IgnoreFlowIfNullOrEmpty; caught at the top."""

    def __init__(self, sentinel: _Sentinel) -> None:
        super().__init__(repr(sentinel))
        self.sentinel = sentinel


class ArgumentError(Exception):
    """A function argument has a value the function cannot use (converted to ExpressionEvaluationError)."""

    def __init__(self, argument: str | None, message: str) -> None:
        super().__init__(message)
        self.argument = argument
        self.message = message


def is_empty(value: Any) -> bool:
    """Null, the empty string, or a multi-valued attribute with no (non-empty) values."""
    if value is None or value == "":
        return True
    if isinstance(value, list | tuple):
        return all(is_empty(v) for v in value)
    return False


def format_datetime(value: datetime) -> str:
    """Entra's rendering of a DateTime: ``M/d/yyyy h:mm:ss tt`` in UTC (en-US, 12-hour clock)."""
    value = value.astimezone(UTC) if value.tzinfo else value
    hour = value.hour % 12 or 12
    tt = "AM" if value.hour < 12 else "PM"
    return f"{value.month}/{value.day}/{value.year} {hour}:{value.minute:02d}:{value.second:02d} {tt}"


def format_number(value: int | float) -> str:
    """Invariant-culture rendering: integers in decimal, doubles in shortest round-trip form."""
    if isinstance(value, int):
        return str(value)
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    if value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    text = repr(value)
    if "e" in text:  # .NET writes 1E+16 / 1E-05
        mantissa, exponent = text.split("e")
        sign = "-" if exponent.startswith("-") else "+"
        text = f"{mantissa.removesuffix('.0')}E{sign}{exponent.lstrip('+-').zfill(2)}"
    return text


def to_text(value: Any) -> str | None:
    """One scalar value as Entra prints it (``None`` stays ``None``)."""
    if value.__class__ is str or value is None:
        return value
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, int | float):
        return format_number(value)
    if isinstance(value, datetime):
        return format_datetime(value)
    if isinstance(value, bytes):  # binary attributes print as base64, as Graph shows them
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, list | tuple):
        raise ArgumentError(None, "a multi-valued attribute was given where one value is expected")
    if isinstance(value, dict):  # a complex value (SCIM ``name``, an address) reads as its JSON text
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)
    return str(value)


def format_value(value: Any) -> str | list[str] | None:
    """Entra's string rendering of an evaluation result: a string, a list of strings, or None.

    Booleans print ``True``/``False``, numbers in invariant decimal, DateTimes ``M/d/yyyy h:mm:ss tt`` in
    UTC; a multi-valued result becomes a list (null members dropped); null and the flow sentinels give None.
    """
    if value.__class__ is str:
        return value
    if value is None or isinstance(value, _Sentinel):
        return None
    if isinstance(value, list | tuple):
        return [text for text in (to_text(v) for v in value) if text is not None]
    return to_text(value)


def to_int(value: Any, argument: str | None) -> int:
    """An Integer argument: ints, integral floats, decimal or ``&H`` hex strings."""
    if value.__class__ is int:
        return value
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        text = value.strip()
        try:
            if text[:2].lower() == "&h":
                return int(text[2:], 16)
            return int(text)
        except ValueError:
            pass
        try:
            number = float(text)
        except ValueError:
            number = math.nan
        if number.is_integer():
            return int(number)
    raise ArgumentError(argument, f"expected an integer, got {value!r}")


def to_number(value: Any, argument: str | None) -> int | float | None:
    """A number when ``value`` reads as one, else None (used by comparisons)."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return value
    if isinstance(value, str):
        text = value.strip()
        try:
            return int(text[2:], 16) if text[:2].lower() == "&h" else int(text)
        except ValueError:
            pass
        try:
            return float(text) if text and text.lower() not in {"nan", "inf", "-inf", "infinity"} else None
        except ValueError:
            return None
    return None


def to_bool(value: Any, argument: str | None) -> bool:
    """A Boolean argument: bools, ``true``/``false`` in any case, numbers (non-zero is true)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return value != 0
    if isinstance(value, str):
        lowered = value.strip().lower()
        if lowered == "true":
            return True
        if lowered == "false":
            return False
        number = to_number(lowered, argument)
        if number is not None:
            return number != 0
    raise ArgumentError(argument, f"expected True or False, got {value!r}")


def single(value: Any, argument: str | None) -> Any:
    """The one value of a scalar argument; a one-element list is accepted, a longer one is an error."""
    if value.__class__ is str:
        return value
    if isinstance(value, list | tuple):
        if len(value) == 1:
            return value[0]
        if not value:
            return None
        raise ArgumentError(argument, f"expected one value, got {len(value)} values")
    return value


def text_arg(value: Any, argument: str | None) -> str | None:
    """A String argument rendered as text (null stays null)."""
    return to_text(single(value, argument))


def values_of(value: Any) -> list[Any]:
    """The values of a possibly multi-valued argument (null → no values)."""
    if value is None:
        return []
    if isinstance(value, list | tuple):
        return [v for v in value if v is not None]
    return [value]
