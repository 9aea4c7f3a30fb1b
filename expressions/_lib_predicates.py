"""Predicates and Boolean conversions: CBool, Not, IsNull, IsNothing, IsNullOrEmpty, IsPresent, IsString,
BitAnd. Boolean text is read case-insensitively (``"false"`` from Graph's test object, spec §A.3)."""

from __future__ import annotations

from typing import Any

from ._registry import Param, function
from ._values import ArgumentError, is_empty, single, to_bool, to_int, to_text


@function("CBool", Param("source", "Boolean"))
def cbool(value: Any) -> bool | None:
    """True for true / non-zero values, False otherwise."""
    value = single(value, "source")
    if value is None:
        return None
    try:
        return to_bool(value, "source")
    except ArgumentError:
        return False


@function("Not", Param("source", "Boolean"))
def not_(value: Any) -> bool | None:
    """``True`` → False; anything else → True (per the documented wording: "If source value is True, returns
    False. Otherwise, returns True" -- null included, spec §A.4)."""
    value = single(value, "source")
    if value is None:
        return True
    if isinstance(value, bool):
        return not value
    return to_text(value).strip().lower() != "true"  # type: ignore[union-attr]


@function("IsNull", Param("source"))
def is_null(value: Any) -> bool:
    return value is None or value == []


@function("IsNothing", Param("source", "Boolean"))
def is_nothing(value: Any) -> bool:
    """Listed by Graph without semantics; VB's IsNothing: the value is null."""
    return value is None or value == []


@function("IsNullOrEmpty", Param("source"))
def is_null_or_empty(value: Any) -> bool:
    return is_empty(value)


@function("IsPresent", Param("source"))
def is_present(value: Any) -> bool:
    return not is_empty(value)


@function("IsString", Param("source"))
def is_string(value: Any) -> bool:
    """True when CStr would succeed on the value: one non-null scalar."""
    return value is not None and not isinstance(value, list | tuple)


@function("BitAnd", Param("left", "Integer"), Param("right", "Integer"))
def bit_and(left: Any, right: Any) -> int | None:
    left, right = single(left, "left"), single(right, "right")
    if left is None or right is None:
        return None
    return to_int(left, "left") & to_int(right, "right")
