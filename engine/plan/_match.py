"""The match step (pure parts): which matching values to look up, and what the hits mean (spec §D.2).

Matching attributes are tried in priority order (lowest first); the first attribute whose value finds
exactly one target object links to it; several hits are a matching conflict for that object (it is
escrowed, never linked at random); no hit on any attribute means the object is new. A source object with
no value for any matching attribute cannot be matched (an error for the object, as in Entra).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

import expressions
from connectors import DirectoryObject

from ._model import Reason
from ._rules import CompiledAttribute, CompiledMapping
from ._values import as_list


class MatchResult(NamedTuple):
    target: DirectoryObject | None = None
    error: str | None = None
    tried: tuple[tuple[str, str, int], ...] = ()
    """(target attribute, value, number of hits) in the order tried, for explain and logs."""
    code: Reason | None = None
    """The error's code (MatchingConflict, MissingMatchingValue)."""


def matching_values(
    mapping: CompiledMapping, record: Mapping[str, Any], context: expressions.EvaluationContext
) -> list[tuple[CompiledAttribute, str]]:
    """The matching attributes with a usable value, in priority order."""
    found: list[tuple[CompiledAttribute, str]] = []
    for attribute in mapping.matching:
        if attribute.expression is None:
            continue
        try:
            value = attribute.expression.evaluate(record, context)
        except expressions.ExpressionError:
            continue
        if value.__class__ is str:  # the common case, as format_value renders it
            if value:
                found.append((attribute, value))
            continue
        if value is None or value is expressions.IGNORE_ATTRIBUTE or value is expressions.IGNORE_OBJECT:
            continue
        texts = as_list(expressions.format_value(value))
        if texts and texts[0] not in (None, ""):
            found.append((attribute, str(texts[0])))
    return found


def choose(
    mapping: CompiledMapping,
    candidates: Sequence[tuple[CompiledAttribute, str]],
    hits: Mapping[tuple[str, str], Sequence[DirectoryObject]],
) -> MatchResult:
    """Interpret the lookups: ``hits[(attribute, value)]`` are the target objects found for that pair."""
    if mapping.matching and not candidates:
        names = ", ".join(a.target for a in mapping.matching)
        return MatchResult(
            error=f"{Reason.NO_MATCHING_VALUE}: no value for any matching attribute ({names})",
            code=Reason.NO_MATCHING_VALUE,
        )
    tried: list[tuple[str, str, int]] = []
    for attribute, value in candidates:
        found = hits.get((attribute.target, value), ())
        tried.append((attribute.target, value, len(found)))
        if len(found) == 1:
            return MatchResult(target=found[0], tried=tuple(tried))
        if len(found) > 1:
            ids = ", ".join(sorted(obj.id for obj in found))
            return MatchResult(
                error=f"{Reason.MATCH_CONFLICT}: {len(found)} target objects have {attribute.target} = "
                f"{value!r} ({ids})",
                tried=tuple(tried),
                code=Reason.MATCH_CONFLICT,
            )
    # no hit, the usual case: positional, through ``tuple.__new__`` (the constructor is Python code)
    return tuple.__new__(MatchResult, (None, None, tuple(tried), None))


def create_reason(mapping: CompiledMapping, match: MatchResult | None) -> str:
    """Why an unlinked object is created: what matching looked for in the target and did not find, e.g.
    ``no target object with userName = 'ann@contoso.com'``."""
    if not mapping.matching:
        return "no matching attribute in the object mapping: every new object is created"
    tried = match.tried if match is not None else ()
    if len(tried) == 1:  # the usual case, without the join (a create makes one)
        return f"no target object with {tried[0][0]} = {tried[0][1]!r}"
    if not tried:
        return "no target object matches"
    return "no target object with " + " or ".join(f"{name} = {value!r}" for name, value, _ in tried)
