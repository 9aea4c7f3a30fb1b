"""Compiling and evaluating scoping filters (spec §B.1): clauses AND-ed within a group, groups OR-ed.

A filter has three group lists, applied in this order:

1. ``inputFilterGroups`` — read-time filter; an object failing it is not processed at all and is never
   deprovisioned because of it (:attr:`ScopeResult.FILTERED_OUT`);
2. ``categoryFilterGroups`` — whether the object belongs to this object mapping at all
   (:attr:`ScopeResult.NOT_IN_CATEGORY`, also never a deprovisioning);
3. ``groups`` — the scoping filter proper; failing it means out of scope, which deprovisions
   (:attr:`ScopeResult.OUT_OF_SCOPE`).

An absent or empty list imposes nothing. :func:`compile_scope` is called once per object mapping; the
returned closure is what the engine calls per object.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from enum import StrEnum
from typing import Any

from engine.schema import Filter, FilterClause, FilterGroup

from ._operators import ScopeError, empty_result, find_operator, known_operator_names
from ._values import scalars

Record = Mapping[str, Any]
Predicate = Callable[[Record], bool]


class ScopeResult(StrEnum):
    """Where an object stands with respect to an object mapping's filter."""

    IN_SCOPE = "inScope"
    OUT_OF_SCOPE = "outOfScope"
    """Fails ``groups``: deprovision (disable or delete) a linked target object."""
    FILTERED_OUT = "filteredOut"
    """Fails ``inputFilterGroups``: not processed; never deprovisioned for that reason."""
    NOT_IN_CATEGORY = "notInCategory"
    """Fails ``categoryFilterGroups``: not handled by this object mapping."""


_LISTS = (
    ("inputFilterGroups", "input_filter_groups", ScopeResult.FILTERED_OUT, True),
    ("categoryFilterGroups", "category_filter_groups", ScopeResult.NOT_IN_CATEGORY, False),
    ("groups", "groups", ScopeResult.OUT_OF_SCOPE, False),
)


def as_filter(value: Filter | Mapping[str, Any] | None) -> Filter | None:
    """A Filter model from a model, a Graph dict or None."""
    if value is None or isinstance(value, Filter):
        return value
    return Filter.model_validate(value)


def compile_clause(clause: FilterClause, *, lenient_null: bool = False, path: str = "") -> Predicate:
    """One clause as a predicate over records; ScopeError for an unknown operator or a bad operand."""
    operator = find_operator(clause.operator_name)
    if operator is None:
        known = ", ".join(known_operator_names())
        raise ScopeError(f"unknown scoping operator {clause.operator_name!r}; known operators: {known}", path)
    operands = tuple(clause.target_operand.values or ()) if clause.target_operand else ()
    if operator.arity == "Binary" and not operands:
        raise ScopeError(f"operator {operator.name!r} needs a value in targetOperand.values", path)
    try:
        test = operator.build(operands)
    except ScopeError as exc:
        raise ScopeError(exc.message, path) from None
    attribute, on_empty, negated = (
        clause.source_operand_name,
        empty_result(operator, test, lenient_null=lenient_null),
        operator.negated,
    )

    def predicate(record: Record) -> bool:
        # Hot path (once per clause per object): single values skip the list handling.
        value = record.get(attribute)
        if value is None or value == "":
            return on_empty
        if isinstance(value, list | tuple | set | frozenset):
            values = scalars(value)
            if not values:
                return on_empty
            return not any(map(test, values)) if negated else all(map(test, values))
        return not test(value) if negated else test(value)

    return predicate


def _compile_groups(groups: Sequence[FilterGroup], *, lenient_null: bool, path: str) -> Predicate | None:
    """OR of ANDs; None when there is nothing to test."""
    if not groups:
        return None
    compiled = [
        tuple(
            compile_clause(c, lenient_null=lenient_null, path=f"{path}[{g}].clauses[{i}]")
            for i, c in enumerate(group.clauses)
        )
        for g, group in enumerate(groups)
    ]
    return lambda record: _any_group(compiled, record)


def _any_group(groups: list[tuple[Predicate, ...]], record: Record) -> bool:
    for group in groups:
        for clause in group:
            if not clause(record):
                break
        else:
            return True
    return False


def compile_scope_result(
    scope: Filter | Mapping[str, Any] | None, *, path: str = "scope"
) -> Callable[[Record], ScopeResult]:
    """The filter as a closure giving a :class:`ScopeResult` per record (ScopeError when it is invalid)."""
    model = as_filter(scope)
    stages: list[tuple[Predicate, ScopeResult]] = []
    if model is not None:
        for wire, attr, failure, lenient in _LISTS:
            predicate = _compile_groups(
                getattr(model, attr) or [], lenient_null=lenient, path=f"{path}.{wire}"
            )
            if predicate is not None:
                stages.append((predicate, failure))

    def result(record: Record) -> ScopeResult:
        for predicate, failure in stages:
            if not predicate(record):
                return failure
        return ScopeResult.IN_SCOPE

    return result


def compile_scope(scope: Filter | Mapping[str, Any] | None) -> Callable[[Record], bool]:
    """The filter as a closure ``record -> in scope?`` (every list passes). None means everything."""
    model = as_filter(scope)
    predicates: list[Predicate] = []
    if model is not None:
        for wire, attr, _failure, lenient in _LISTS:
            compiled = _compile_groups(getattr(model, attr) or [], lenient_null=lenient, path=f"scope.{wire}")
            if compiled is not None:
                predicates.append(compiled)
    if not predicates:
        return lambda _record: True
    if len(predicates) == 1:
        return predicates[0]
    return lambda record: all(p(record) for p in predicates)


def evaluate_scope(scope: Filter | Mapping[str, Any] | None, record: Record) -> bool:
    """True when ``record`` passes the filter (one-off; use :func:`compile_scope` in loops)."""
    return compile_scope(scope)(record)


def classify_scope(scope: Filter | Mapping[str, Any] | None, record: Record) -> ScopeResult:
    """Where ``record`` stands: in scope, out of scope, filtered out, or not in the category."""
    return compile_scope_result(scope)(record)


def explain_scope(scope: Filter | Mapping[str, Any] | None, record: Record) -> list[dict[str, Any]]:
    """Every clause with its result, for ``idsync explain``: ``list`` (which group list), ``group`` (name),
    ``groupIndex``, ``clauseIndex``, ``attribute``, ``operator``, ``values`` (operands), ``value`` (the
    record's value), ``result`` and ``groupResult``."""
    model = as_filter(scope)
    rows: list[dict[str, Any]] = []
    if model is None:
        return rows
    for wire, attr, _failure, lenient in _LISTS:
        for g, group in enumerate(getattr(model, attr) or []):
            group_rows = [
                _explain_clause(clause, record, wire, g, i, group.name, lenient)
                for i, clause in enumerate(group.clauses)
            ]
            group_result = all(row["result"] for row in group_rows)
            for row in group_rows:
                row["groupResult"] = group_result
            rows.extend(group_rows)
    return rows


def _explain_clause(
    clause: FilterClause, record: Record, wire: str, g: int, i: int, name: str | None, lenient: bool
) -> dict[str, Any]:
    predicate = compile_clause(clause, lenient_null=lenient, path=f"scope.{wire}[{g}].clauses[{i}]")
    return {
        "list": wire,
        "group": name,
        "groupIndex": g,
        "clauseIndex": i,
        "attribute": clause.source_operand_name,
        "operator": clause.operator_name,
        "values": list(clause.target_operand.values or []) if clause.target_operand else [],
        "value": record.get(clause.source_operand_name),
        "result": predicate(record),
    }


_LABELS = {
    "inputFilterGroups": "input filter",
    "categoryFilterGroups": "category filter",
    "groups": "scoping filter",
}


def _describe(clause: FilterClause, record: Record) -> str:
    """``department EQUALS 'Sales' is false (department is 'R&D')``: a failing clause, the value it tested."""
    attribute = clause.source_operand_name
    operands = list(clause.target_operand.values or []) if clause.target_operand else []
    text = f"{attribute} {clause.operator_name}"
    if operands:
        text += " " + ", ".join(repr(v) for v in operands)
    value = record.get(attribute)
    has = "has no value" if value is None or value == "" or value == [] else f"is {value!r}"
    return f"{text} is false ({attribute} {has})"


def compile_scope_explanation(
    scope: Filter | Mapping[str, Any] | None, *, path: str = "scope"
) -> Callable[[Record], str | None]:
    """The filter as a closure telling, for a record it excludes, which clause failed (the first failing
    list: in each of its groups, the first clause that is false), e.g. ``scoping filter clause department
    EQUALS 'Sales' is false (department is 'R&D')``; None for a record it lets through. For logs and
    dry-runs (``idsync explain`` lists every clause: ``explain_scope``)."""
    model = as_filter(scope)
    stages: list[tuple[str, list[list[tuple[FilterClause, Predicate]]]]] = []
    if model is not None:
        for wire, attr, _failure, lenient in _LISTS:
            groups = getattr(model, attr) or []
            compiled = [
                [
                    (c, compile_clause(c, lenient_null=lenient, path=f"{path}.{wire}[{g}].clauses[{i}]"))
                    for i, c in enumerate(group.clauses)
                ]
                for g, group in enumerate(groups)
            ]
            if compiled:
                stages.append((_LABELS[wire], compiled))

    def explain(record: Record) -> str | None:
        for label, groups in stages:
            failed: list[str] = []
            for clauses in groups:
                clause = next((c for c, predicate in clauses if not predicate(record)), None)
                if clause is None:
                    break  # this group passes, and so does the list
                failed.append(_describe(clause, record))
            else:
                if len(failed) == 1:
                    return f"{label} clause {failed[0]}"
                return f"{label}: no group passes ({'; '.join(failed)})"
        return None

    return explain
