"""Checks of one attribute mapping's source expression: it compiles, reads only attributes the source
object has, fills its placeholders, and uses SelectUniqueValue only where allowed (decisions 12, 13)."""

from __future__ import annotations

import re
from collections.abc import Collection

import expressions
from engine.schema import AttributeMapping, ObjectDefinition

from ._finding import Collector, draw_caret, suggest

_NUMBER = re.compile(r'"(-?\d+(?:\.\d+)?)"')
DERIVED_ATTRIBUTES = frozenset({"issoftdeleted"})
"""Attributes the engine derives for every source object (spec §D.4), whatever the definition lists."""


def check_attribute_mapping(
    mapping: AttributeMapping,
    source: ObjectDefinition | None,
    path: str,
    out: Collector,
    placeholders: Collection[str] = (),
) -> None:
    where = f"{path}.source"
    if mapping.source is None:
        if mapping.default_value is None:
            out.warning(
                path, "the mapping has neither a source nor a default value; it never exports anything"
            )
        return
    compiled = _compile(mapping, where, out)
    if compiled is None:
        return
    _check_text_agrees(mapping, compiled, where, out)
    text = compiled.text or (mapping.source.expression or "")
    if source is not None:
        _check_attributes(compiled.attribute_names, source, text, where, out)
    filled = {p.lower() for p in placeholders}
    for name in sorted(compiled.placeholders):
        if name.lower() not in filled:
            out.warning(
                where,
                f"placeholder %{name}% is not filled: give it in the job's settings "
                f"(placeholders: {{{name}: ...}}); it stays as written",
            )
    for name in sorted(compiled.unsupported_functions):
        out.warning(where, f"function {name} is not supported locally: evaluating it fails for each object")
    if compiled.uses_select_unique_value and mapping.matching_priority > 0:
        out.error(where, "SelectUniqueValue cannot be used on a matching attribute (matchingPriority > 0)")


def _compile(mapping: AttributeMapping, where: str, out: Collector) -> expressions.CompiledExpression | None:
    try:
        return mapping.compiled()
    except expressions.ExpressionSyntaxError as exc:
        exc = _text_error(mapping) or exc  # the text form gives a caret in the expression users read
        out.error(where, exc.message, column=exc.column, caret=exc.caret, suggestion=exc.suggestion)
    except expressions.ExpressionError as exc:
        out.error(where, str(exc))
    return None


def _check_text_agrees(
    mapping: AttributeMapping, compiled: expressions.CompiledExpression, where: str, out: Collector
) -> None:
    """A source giving both the structured form and the ``expression`` text: the structured form is what
    runs (DESIGN decision 18); say so when the text means something else."""
    source = mapping.source
    if source is None or not source.expression or not (source.name or source.parameters):
        return
    try:
        text = expressions.compile(source.expression).text
    except expressions.ExpressionError:
        text = None
    if text is None or _NUMBER.sub(r"\1", text) != _NUMBER.sub(r"\1", compiled.text):
        # (Graph stores a number as a Constant: ``Left(..., "448")`` and ``Left(..., 448)`` agree.)
        out.warning(
            f"{where}.expression",
            f"the expression text does not match the structured form (name/parameters), which is what "
            f"runs: {compiled.text}",
        )


def _text_error(mapping: AttributeMapping) -> expressions.ExpressionSyntaxError | None:
    text = mapping.source.expression if mapping.source is not None else None
    if not text:
        return None
    try:
        expressions.compile(text)
    except expressions.ExpressionSyntaxError as exc:
        return exc
    return None


def _check_attributes(
    names: Collection[str], source: ObjectDefinition, text: str, where: str, out: Collector
) -> None:
    for name in sorted(names):
        if name.lower() in DERIVED_ATTRIBUTES or source.attribute(name) is not None:
            continue
        at = text.find(f"[{name}]")
        column, caret = (at + 1, draw_caret(text, at + 1)) if at >= 0 else (None, None)
        out.error(
            where,
            f"source object {source.name!r} has no attribute [{name}]",
            suggestion=suggest(name, source.attribute_names),
            column=column,
            caret=caret,
        )
