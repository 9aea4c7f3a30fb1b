"""The discovery catalogues of Graph's ``GET .../schema/functions`` and ``.../schema/filterOperators``.

Both return Graph's response shape, ``{"value": [...]}``, so the REST API can serve them as they are. The
function list comes from the expressions package (its registry is the single source of truth); the
operator list from :data:`engine.scoping.OPERATORS`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from engine.schema import AttributeMappingFunctionSchema, FilterOperatorSchema, dump_model
from engine.scoping import OPERATORS


def filter_operators_catalog() -> dict[str, Any]:
    """``{"value": [filterOperatorSchema, ...]}`` for every operator idsync evaluates."""
    entries = [
        FilterOperatorSchema(
            name=o.name,
            arity=o.arity,
            multivalued_comparison_type="All",
            supported_attribute_types=list(o.attribute_types),
        )
        for o in OPERATORS
    ]
    return {"value": [dump_model(e) for e in entries]}


def functions_catalog() -> dict[str, Any]:
    """``{"value": [attributeMappingFunctionSchema, ...]}`` for every function the compiler knows."""
    import expressions

    raw = expressions.function_catalog()
    entries = raw.get("value", []) if isinstance(raw, Mapping) else raw
    return {"value": [_function_entry(entry) for entry in _as_list(entries)]}


def _as_list(entries: Any) -> Iterable[Any]:
    if isinstance(entries, Iterable) and not isinstance(entries, str | bytes | Mapping):
        return entries
    raise TypeError(f"expressions.function_catalog() returned {type(entries).__name__}, expected a list")


def _function_entry(entry: Any) -> dict[str, Any]:
    """One function in Graph's shape, whether the registry gives a dict or an object with attributes."""
    if not isinstance(entry, Mapping):
        entry = entry.to_graph() if hasattr(entry, "to_graph") else vars(entry)
    model = AttributeMappingFunctionSchema.model_validate(entry)
    return {
        "name": model.name,
        "parameters": [
            {
                "name": p.name,
                "type": p.type or "String",
                "required": bool(p.required),
                "allowMultipleOccurrences": bool(p.allow_multiple_occurrences),
            }
            for p in model.parameters
        ],
    }
