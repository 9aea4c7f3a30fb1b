r"""Replace and its five overloads (spec §A.5), with .NET regular expressions run as written.

The overload is chosen at compile time from which argument slots are written:

====================================================  ==============================================
slots present                                         behaviour
====================================================  ==============================================
oldValue (+ replacementValue)                         every literal occurrence replaced
oldValue + template                                   oldValue inside template replaced by the source
regexPattern (+ replacementValue)                     regex replace; ``${name}``/``$1`` references
regexPattern + regexGroupName + replacementValue      only the named group's text replaced
regexPattern + regexGroupName + replacementAttribute  source if it has a value, else the group's match
                                                      in the other attribute
====================================================  ==============================================

Matching is case-sensitive. A null source gives null (the template and attribute overloads aside).
Patterns run on the ``regex`` package rather than ``re`` because it reads most of .NET's syntax as written
— ``(?<name>…)`` groups, ``\p{L}`` categories, variable-length lookbehind (``translate_regex`` rewrites the
two spellings it lacks) — and each match is bounded by a timeout, so a pathological pattern fails one
object instead of hanging the cycle.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any

import regex

from ._context import EvaluationContext
from ._errors import ExpressionEvaluationError
from ._registry import Compiled, CompileError, Evaluator, FunctionSpec, Param, special
from ._values import ArgumentError, single, to_text

SOURCE, FIND, REGEX, GROUP, REPLACEMENT, PROPERTY, TEMPLATE = range(7)

# The two .NET forms the regex package does not read: (?'name'...) groups and \k<name> / \k'name' references
_QUOTED_GROUP = re.compile(r"(?<!\\)\(\?'([A-Za-z_]\w*)'")
_BACKREFERENCE = re.compile(r"(?<!\\)\\k(?:<([A-Za-z_]\w*)>|'([A-Za-z_]\w*)')")
_DOLLAR = re.compile(r"\$(?:\{([A-Za-z_]\w*|\d+)\}|(\d+)|(\$)|(&))")
MATCH_TIMEOUT_SECONDS = 1.0  # per call; .NET's Regex has match timeouts too


def translate_regex(pattern: str) -> str:
    """.NET spellings the regex package lacks: ``(?'n'…)`` → ``(?<n>…)``, ``\\k<n>`` → ``(?P=n)``."""
    pattern = _QUOTED_GROUP.sub(r"(?<\1>", pattern)
    return _BACKREFERENCE.sub(lambda m: f"(?P={m.group(1) or m.group(2)})", pattern)


@lru_cache(maxsize=512)
def compile_regex(pattern: str) -> regex.Pattern[str]:
    try:
        return regex.compile(translate_regex(pattern))
    except (regex.error, ValueError) as exc:  # ValueError: e.g. an unknown \p{...} property
        raise ArgumentError("RegularExpression", f"invalid regular expression {pattern!r}: {exc}") from None


def _timed_out(pattern: regex.Pattern[str]) -> ArgumentError:
    return ArgumentError(
        "RegularExpression", f"matching {pattern.pattern!r} took longer than {MATCH_TIMEOUT_SECONDS} s"
    )


def substitute(pattern: regex.Pattern[str], replace: Any, text: str) -> str:
    try:
        return str(pattern.sub(replace, text, timeout=MATCH_TIMEOUT_SECONDS))
    except TimeoutError:
        raise _timed_out(pattern) from None


def expand(match: regex.Match[str], replacement: str) -> str:
    """.NET replacement syntax: ``${name}``, ``${1}``, ``$1``, ``$$``, ``$&``; unknown groups stay as is."""

    def one(m: re.Match[str]) -> str:
        name, number, dollar, whole = m.groups()
        if dollar:
            return "$"
        if whole:
            return match.group(0)
        key: str | int = int(name or number) if (name or number).isdigit() else name
        try:
            return match.group(key) or ""
        except IndexError:  # no such group: .NET keeps the reference as literal text
            return m.group(0)

    return _DOLLAR.sub(one, replacement)


def _text(fn: Evaluator, r: Mapping[str, Any], c: EvaluationContext, argument: str) -> str | None:
    return to_text(single(fn(r, c), argument))


@special(
    "Replace",
    Param("source"),
    Param("Find", required=False),
    Param("RegularExpression", required=False),
    Param("RegularExpressionGroupName", required=False),
    Param("Replacement", required=False),
    Param("ReplacementPropertyName", "Reference", required=False),
    Param("Template", required=False),
)
def _replace(spec: FunctionSpec, args: Sequence[Compiled | None]) -> Evaluator:
    """Replace(source, oldValue, regexPattern, regexGroupName, replacementValue, replacementAttributeName,
    template): the overload follows from the arguments given (spec §A.5)."""
    slots = list(args) + [None] * (7 - len(args))
    present = {i for i, arg in enumerate(slots) if arg is not None}
    if FIND in present and REGEX in present:
        raise CompileError("give either oldValue or regexPattern, not both", REGEX)
    if REGEX in present and slots[REGEX] is not None and slots[REGEX].constant:  # type: ignore[union-attr]
        try:
            compile_regex(to_text(slots[REGEX].value) or "")  # type: ignore[union-attr]
        except ArgumentError as exc:
            raise CompileError(exc.message, REGEX) from None
    fns = [(arg.fn if arg is not None else _none) for arg in slots]
    if FIND in present:
        return _with_template(fns) if TEMPLATE in present else _literal(fns, slots)
    if REGEX not in present:
        raise CompileError("needs oldValue (2nd argument) or regexPattern (3rd argument)")
    if GROUP in present and PROPERTY in present:
        return _from_property(fns)
    if GROUP in present:
        return _group_replace(fns)
    return _regex_replace(fns)


def _none(r: Mapping[str, Any], c: EvaluationContext) -> Any:
    return None


def _guard(build: Evaluator) -> Evaluator:
    """Turn ArgumentError / regex trouble into an evaluation error naming Replace."""

    def guarded(r: Mapping[str, Any], c: EvaluationContext) -> Any:
        try:
            return build(r, c)
        except ArgumentError as exc:
            raise ExpressionEvaluationError(exc.message, "Replace", exc.argument) from None

    return guarded


def _each(value: Any, apply: Any) -> Any:
    if isinstance(value, list | tuple):
        return [apply(to_text(v)) for v in value]
    text = to_text(value)
    return None if text is None else apply(text)


def _literal(fns: list[Evaluator], slots: list[Compiled | None]) -> Evaluator:
    find, replacement = slots[FIND], slots[REPLACEMENT]
    if find is not None and find.constant and (replacement is None or replacement.constant):
        return _constant_literal(fns[SOURCE], find.value, None if replacement is None else replacement.value)

    def literal(r: Mapping[str, Any], c: EvaluationContext) -> Any:
        old = _text(fns[FIND], r, c, "Find")
        new = _text(fns[REPLACEMENT], r, c, "Replacement") or ""
        if not old:
            return fns[SOURCE](r, c)
        return _each(fns[SOURCE](r, c), lambda text: text.replace(old, new))

    return _guard(literal)


def _constant_literal(source: Evaluator, find: Any, replacement: Any) -> Evaluator:
    """The literal overload with constant oldValue and replacementValue (the common case)."""
    old = to_text(single(find, "Find")) or ""
    new = to_text(single(replacement, "Replacement")) or ""

    def literal(r: Mapping[str, Any], c: EvaluationContext) -> Any:
        value = source(r, c)
        if value.__class__ is str:
            return value.replace(old, new) if old else value
        return _each(value, lambda text: text.replace(old, new) if old else text)

    return _guard(literal)


def _with_template(fns: list[Evaluator]) -> Evaluator:
    def template(r: Mapping[str, Any], c: EvaluationContext) -> Any:
        old = _text(fns[FIND], r, c, "Find")
        pattern = _text(fns[TEMPLATE], r, c, "Template")
        if pattern is None:
            return None
        return _each(fns[SOURCE](r, c), lambda text: pattern.replace(old, text) if old else pattern)

    return _guard(template)


def _pattern(fns: list[Evaluator], r: Mapping[str, Any], c: EvaluationContext) -> regex.Pattern[str]:
    return compile_regex(_text(fns[REGEX], r, c, "RegularExpression") or "")


def _regex_replace(fns: list[Evaluator]) -> Evaluator:
    def regex(r: Mapping[str, Any], c: EvaluationContext) -> Any:
        pattern = _pattern(fns, r, c)
        new = _text(fns[REPLACEMENT], r, c, "Replacement") or ""
        return _each(fns[SOURCE](r, c), lambda text: substitute(pattern, lambda m: expand(m, new), text))

    return _guard(regex)


def _group_name(
    fns: list[Evaluator], r: Mapping[str, Any], c: EvaluationContext, pattern: regex.Pattern[str]
) -> str:
    name = _text(fns[GROUP], r, c, "RegularExpressionGroupName") or ""
    if name not in pattern.groupindex:
        raise ArgumentError("RegularExpressionGroupName", f"the pattern has no group named {name!r}")
    return name


def _group_replace(fns: list[Evaluator]) -> Evaluator:
    def group(r: Mapping[str, Any], c: EvaluationContext) -> Any:
        pattern = _pattern(fns, r, c)
        name = _group_name(fns, r, c, pattern)
        new = _text(fns[REPLACEMENT], r, c, "Replacement") or ""

        def one(m: regex.Match[str]) -> str:
            start, end = m.span(name)
            if start < 0:
                return m.group(0)
            offset = m.start()
            whole = m.group(0)
            return whole[: start - offset] + expand(m, new) + whole[end - offset :]

        return _each(fns[SOURCE](r, c), lambda text: substitute(pattern, one, text))

    return _guard(group)


def _from_property(fns: list[Evaluator]) -> Evaluator:
    def from_property(r: Mapping[str, Any], c: EvaluationContext) -> Any:
        source = fns[SOURCE](r, c)
        if to_text(single(source, "source")):
            return source
        pattern = _pattern(fns, r, c)
        name = _group_name(fns, r, c, pattern)
        other = _text(fns[PROPERTY], r, c, "ReplacementPropertyName")
        if other is None:
            return None
        try:
            match = pattern.search(other, timeout=MATCH_TIMEOUT_SECONDS)
        except TimeoutError:
            raise _timed_out(pattern) from None
        return match.group(name) if match and match.group(name) is not None else None

    return _guard(from_property)
