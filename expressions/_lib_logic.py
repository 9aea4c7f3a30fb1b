"""Conditions and flow control: comparisons, IIF, Switch, Coalesce, IgnoreFlowIfNullOrEmpty,
SelectUniqueValue (predicates are in ``_lib_predicates``, tenant functions in ``_lib_tenant``).

Decisions (DESIGN.md): an IIF whose condition is null is an evaluation error (5); a comparison with a null
side is null, so ``IIF([missing]="x", ...)`` fails as the docs warn; Switch with no match and no default
is null (4) and matches a null or empty source against the key ``""``; Coalesce skips nulls but returns
``""``; Switch compares case-sensitively, with one fallback for Boolean text (see ``_BOOLEAN_TEXT``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from ._context import EvaluationContext
from ._dotnet_dates import parse_date
from ._errors import ExpressionEvaluationError
from ._registry import Compiled, CompileError, Evaluator, FunctionSpec, Param, special
from ._values import (
    IGNORE_ATTRIBUTE,
    ArgumentError,
    FlowSignal,
    is_empty,
    single,
    to_bool,
    to_number,
    to_text,
)

_ORDER = {
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
}


def compare(op: str, left: Any, right: Any) -> bool | None:
    """``left op right``: null if either side is null; Booleans compared as Booleans, numbers as numbers
    when one side is a number (or, for ordering, both read as numbers), DateTimes as instants, else
    strings ordinally and case-sensitively."""
    left, right = single(left, "left"), single(right, "right")
    if left is None or right is None:
        return None
    if isinstance(left, bool) or isinstance(right, bool):
        try:
            a, b = to_bool(left, "left"), to_bool(right, "right")
        except ArgumentError:
            if op in ("=", "<>"):
                return op == "<>"
            raise
        return _apply(op, a, b)
    if isinstance(left, datetime) or isinstance(right, datetime):
        return _apply(op, _as_instant(left, "left"), _as_instant(right, "right"))
    numbers = to_number(left, None), to_number(right, None)
    use_numbers = isinstance(left, int | float) or isinstance(right, int | float) or op not in ("=", "<>")
    if use_numbers and numbers[0] is not None and numbers[1] is not None:
        return _apply(op, numbers[0], numbers[1])
    return _apply(op, to_text(left), to_text(right))


def _as_instant(value: Any, argument: str) -> datetime:
    """The other side of a DateTime comparison, read as CDate reads it."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    try:
        return parse_date(to_text(value) or "")
    except ValueError as exc:
        raise ArgumentError(argument, f"cannot compare a DateTime with {value!r}: {exc}") from None


def _apply(op: str, a: Any, b: Any) -> bool:
    if op == "=":
        return bool(a == b)
    if op == "<>":
        return bool(a != b)
    return bool(_ORDER[op](a, b))


@special(
    "IIF",
    Param("condition", "Boolean"),
    Param("valueIfTrue", required=False),
    Param("valueIfFalse", required=False),
    minimum=3,
)
def _iif(spec: FunctionSpec, args: Sequence[Compiled | None]) -> Evaluator:
    """IIF(condition, valueIfTrue, valueIfFalse): only the chosen branch is evaluated."""
    if len(args) != 3:
        raise CompileError("IIF takes a condition and two values")
    cond = _fn(args[0])
    yes, no = _fn(args[1]), _fn(args[2])

    def iif(r: Mapping[str, Any], c: EvaluationContext) -> Any:
        return yes(r, c) if iif_condition(cond(r, c)) else no(r, c)

    return iif


def iif_condition(value: Any) -> bool:
    """IIF's reading of its condition: Booleans (or their text, any case) and numbers; null is an error."""
    if value is True or value is False:
        return value
    if value is None or value == "":
        raise ExpressionEvaluationError(
            "the condition is null (an attribute it reads has no value); test it with IsPresent or use "
            "Switch with an empty key",
            "IIF",
            "condition",
        )
    try:
        return to_bool(single(value, "condition"), "condition")
    except ArgumentError as exc:
        raise ExpressionEvaluationError(exc.message, "IIF", "condition") from None


def _none(r: Mapping[str, Any], c: EvaluationContext) -> Any:
    return None


def _fn(arg: Compiled | None) -> Evaluator:
    return _none if arg is None else arg.fn


@special(
    "Switch",
    Param("source"),
    Param("defaultValue", required=False),
    Param("switchValue", required=False, repeat=True),
)
def _switch(spec: FunctionSpec, args: Sequence[Compiled | None]) -> Evaluator:
    """Switch(source, defaultValue, key1, value1, ...): case-sensitive; null or "" matches key ""; Boolean
    text ("false") falls back to .NET's rendering ("False") when no key matches exactly."""
    if len(args) % 2:
        raise CompileError(
            "keys and values must come in pairs (source, default, key, value, key, value, ...)", len(args) - 1
        )
    source, default = _fn(args[0]), _fn(args[1])
    keys = list(args[2::2])
    if all(key is not None and key.constant for key in keys):
        return _switch_by_table(source, default, args)
    pairs = [(_fn(args[i]), _fn(args[i + 1])) for i in range(2, len(args), 2)]

    def switch(r: Mapping[str, Any], c: EvaluationContext) -> Any:
        value = single(source(r, c), "source")
        text = "" if value is None else to_text(value) or ""
        keys = [
            ("" if key is None else to_text(single(key, "switchValue")))
            for key in (k(r, c) for k, _ in pairs)
        ]
        for key_text, (_, value_fn) in zip(keys, pairs, strict=True):
            if key_text == text:  # case-sensitive first
                return value_fn(r, c)
        if text in _BOOLEAN_TEXT:  # then a Boolean given as text, rendered as .NET renders Booleans
            for key_text, (_, value_fn) in zip(keys, pairs, strict=True):
                if key_text == _BOOLEAN_TEXT[text]:
                    return value_fn(r, c)
        return default(r, c)

    return switch


def _switch_by_table(source: Evaluator, default: Evaluator, args: Sequence[Compiled | None]) -> Evaluator:
    """Switch whose keys are all constants: one dict lookup (the first of equal keys wins)."""
    table: dict[str, Evaluator] = {}
    for key, value in zip(args[2::2], args[3::2], strict=True):
        text = "" if key is None or key.value is None else to_text(single(key.value, "switchValue")) or ""
        table.setdefault(text, _fn(value))

    def switch(r: Mapping[str, Any], c: EvaluationContext) -> Any:
        value = source(r, c)
        if value.__class__ is not str:
            value = single(value, "source")
            value = "" if value is None else to_text(value) or ""
        chosen = table.get(value)
        if chosen is None and value in _BOOLEAN_TEXT:
            chosen = table.get(_BOOLEAN_TEXT[value])
        return default(r, c) if chosen is None else chosen(r, c)

    return switch


# Switch compares case-sensitively (documented: "TRUE" does not match the key "true"). A Boolean attribute
# that arrives as text ("false" in Graph's test object, spec §A.3) gets one more try after no exact match:
# rendered as .NET renders a Boolean, so Switch([IsSoftDeleted], , "False", "True", "True", "False") works.
_BOOLEAN_TEXT = {"true": "True", "TRUE": "True", "false": "False", "FALSE": "False"}


@special("Coalesce", Param("source", repeat=True))
def _coalesce(spec: FunctionSpec, args: Sequence[Compiled | None]) -> Evaluator:
    """Coalesce(source1, ..., defaultValue): the first argument that is not null ("" is not null)."""
    fns = [arg.fn for arg in args if arg is not None]

    def coalesce(r: Mapping[str, Any], c: EvaluationContext) -> Any:
        for fn in fns:
            value = fn(r, c)
            if value is not None and value != []:
                return value
        return None

    return coalesce


@special("IgnoreFlowIfNullOrEmpty", Param("source"))
def _ignore_flow(spec: FunctionSpec, args: Sequence[Compiled | None]) -> Evaluator:
    """IgnoreFlowIfNullOrEmpty(x): x, or no export of this attribute when x is null or empty."""
    inner = _fn(args[0])
    signal = FlowSignal(IGNORE_ATTRIBUTE)

    def ignore_flow(r: Mapping[str, Any], c: EvaluationContext) -> Any:
        value = inner(r, c)
        if is_empty(value):
            raise signal
        return value

    return ignore_flow


@special("SelectUniqueValue", Param("source", repeat=True), top_level_only=True, pure=False)
def _select_unique(spec: FunctionSpec, args: Sequence[Compiled | None]) -> Evaluator:
    """SelectUniqueValue(rule1, rule2, ...): the first value the target directory does not hold yet."""
    if len(args) < 2 or any(arg is None for arg in args):
        raise CompileError("needs at least two rules, none of them empty")
    rules = [_fn(arg) for arg in args]

    def select_unique(r: Mapping[str, Any], c: EvaluationContext) -> Any:
        tried: list[str] = []
        for rule in rules:
            value = to_text(single(rule(r, c), "source"))
            if value is None or value == "":
                continue
            if c.is_unique is None or c.is_unique(c.target_attribute, value):
                return value
            tried.append(value)
        raise ExpressionEvaluationError(
            f"every candidate value is already taken in the target: {', '.join(tried) or 'none produced'}",
            "SelectUniqueValue",
        )

    return select_unique
