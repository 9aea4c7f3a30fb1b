"""Checks of an object mapping's scoping filter: known operators, arity, operand values, attribute types."""

from __future__ import annotations

from engine.schema import Filter, FilterClause, ObjectDefinition
from engine.scoping import ScopeError, compile_clause, find_operator, known_operator_names

from ._finding import Collector, suggest

_LISTS = (
    ("groups", "groups"),
    ("inputFilterGroups", "input_filter_groups"),
    ("categoryFilterGroups", "category_filter_groups"),
)


def check_scope(scope: Filter | None, source: ObjectDefinition | None, path: str, out: Collector) -> None:
    if scope is None:
        return
    for wire, attr in _LISTS:
        for g, group in enumerate(getattr(scope, attr) or []):
            for c, clause in enumerate(group.clauses):
                _check_clause(clause, source, f"{path}.{wire}[{g}].clauses[{c}]", out)


def _check_clause(clause: FilterClause, source: ObjectDefinition | None, path: str, out: Collector) -> None:
    operator = find_operator(clause.operator_name)
    if operator is None:
        known = known_operator_names()
        out.error(
            f"{path}.operatorName",
            f"unknown scoping operator {clause.operator_name!r} (known: {', '.join(known)})",
            suggestion=suggest(clause.operator_name, known),
        )
        return
    values = clause.target_operand.values if clause.target_operand else None
    if operator.arity == "Unary" and values:
        out.warning(f"{path}.targetOperand", f"{operator.name} takes no value; the values given are ignored")
    try:
        compile_clause(clause)
    except ScopeError as exc:
        out.error(f"{path}.targetOperand", exc.message)
    if source is not None:
        _check_attribute(clause, operator.name, operator.attribute_types, source, path, out)


def _check_attribute(
    clause: FilterClause,
    operator: str,
    types: tuple[str, ...],
    source: ObjectDefinition,
    path: str,
    out: Collector,
) -> None:
    name = clause.source_operand_name
    attribute = source.attribute(name)
    if attribute is None:
        out.error(
            f"{path}.sourceOperandName",
            f"source object {source.name!r} has no attribute {name!r}",
            suggestion=suggest(name, source.attribute_names),
        )
        return
    if attribute.type.value not in types:
        out.error(
            f"{path}.sourceOperandName",
            f"{operator} applies to {', '.join(types)} attributes; {name!r} is {attribute.type.value}",
        )
