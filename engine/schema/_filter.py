"""Scoping filters: filter, filterGroup, filterClause, filterOperand (spec §B.1).

Evaluation lives in :mod:`engine.scoping`; these are the data only.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field, field_validator

from ._base import GraphModel


class FilterOperand(GraphModel):
    """The right-hand side of a clause: a list of values (Entra's portal writes one)."""

    values: list[str] | None = None
    """The operand values, always strings on the wire (``"5"`` for an integer)."""

    @field_validator("values", mode="before")
    @classmethod
    def _as_strings(cls, value: Any) -> Any:
        # Hand-written schemas write numbers and Booleans; Graph's type is a string collection.
        if isinstance(value, list):
            return [_text(v) for v in value]
        return value


def _text(value: Any) -> Any:
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, int | float):
        return str(value)
    return value


class FilterClause(GraphModel):
    """``sourceOperandName operatorName targetOperand`` — one test on one source attribute."""

    operator_name: str
    """The operator as written in JSON (``EQUALS``, ``REGEX MATCH``, ``&``, ...; see spec §B.2)."""
    source_operand_name: str
    """The source attribute the clause tests."""
    target_operand: FilterOperand | None = None
    """The values compared against; null for unary operators (IS TRUE, IS NULL, ...)."""


class FilterGroup(GraphModel):
    """Clauses AND-ed together; one portal "scoping filter"."""

    name: str | None = None
    """Title of the group."""
    clauses: list[FilterClause] = Field(default_factory=list)
    """All must hold for the group to hold."""


class Filter(GraphModel):
    """``objectMapping.scope``: groups OR-ed. See :mod:`engine.scoping` for how each list applies."""

    groups: list[FilterGroup] | None = None
    """The scoping filter proper: an object failing it is out of scope and deprovisioned."""
    input_filter_groups: list[FilterGroup] | None = None
    """Applied when reading the source: an object failing it is not processed at all (never deprovisioned)."""
    category_filter_groups: list[FilterGroup] | None = None
    """Decides whether an object belongs to this object mapping at all."""
