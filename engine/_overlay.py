"""Template overlays: a job file's ``mappings:`` and ``scope:`` applied on top of its schema or template.

::

    template: scim
    mappings:                       # add, replace or remove attribute mappings, by target attribute
      - {object: User, target: displayName, expression: 'Join(" ", [givenName], [surname])'}
      - {object: User, target: title, remove: true}
      - {object: User, target: externalId, expression: '[employeeId]', flowType: ObjectAddOnly}
    scope:                          # scoping clauses added to the object mapping's filter (AND)
      - {object: User, attribute: department, operator: EQUALS, values: [Sales]}

``object`` names the object mapping by its source or target object name (optional when the schema has one
enabled object mapping). An entry replaces the mapping of its ``target`` attribute (keeping what it does not
give: flowType, matchingPriority, defaultValue), or adds one; ``remove: true`` removes it. A scope clause is
AND-ed onto every group of the filter (one group when there is none). Expressions are compiled now and written
in Graph's structured form, so ``idsync schema JOB`` prints a schema Entra accepts. Errors are
``JobFileError``s pointing into the job file (``engine.job`` calls ``apply_overlay`` while loading).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

import expressions

from ._jobfile import JobFileError, closest

__all__ = ["MappingOverlay", "ScopeOverlay", "apply_overlay"]

Raise = Callable[..., JobFileError]
"""``(message, *loc, suggestion=None) -> JobFileError`` at ``loc`` in the job file."""


class MappingOverlay(BaseModel):
    """One ``mappings:`` entry."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    object: str | None = None
    target: str = Field(min_length=1)
    expression: str | None = None
    flow_type: str | None = Field(None, alias="flowType")
    matching_priority: int | None = Field(None, alias="matchingPriority", ge=0)
    default_value: str | None = Field(None, alias="defaultValue")
    remove: bool = False


class ScopeOverlay(BaseModel):
    """One ``scope:`` entry: a scoping clause."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    object: str | None = None
    attribute: str = Field(min_length=1)
    operator: str = Field(min_length=1)
    values: list[str] = Field(default_factory=list)


def apply_overlay(
    schema: dict[str, Any], mappings: list[MappingOverlay], scope: list[ScopeOverlay], fail: Raise
) -> dict[str, Any]:
    """The schema document (Graph JSON) with the overlay applied; ``fail(...)`` errors otherwise."""
    result = copy.deepcopy(schema)
    for i, entry in enumerate(mappings):
        _apply_mapping(_object_mapping(result, entry.object, ("mappings", i), fail), entry, i, result, fail)
    for i, clause in enumerate(scope):
        _apply_clause(_object_mapping(result, clause.object, ("scope", i), fail), clause, i, fail)
    return result


def _object_mapping(
    schema: dict[str, Any], name: str | None, loc: tuple[str | int, ...], fail: Raise
) -> dict[str, Any]:
    found: list[dict[str, Any]] = [
        m
        for rule in schema.get("synchronizationRules") or []
        for m in rule.get("objectMappings") or []
        if m.get("enabled", True)
    ]
    names = [str(m.get("sourceObjectName")) for m in found]
    if name is None:
        if len(found) == 1:
            return found[0]
        raise fail(f"give 'object': the schema has {len(found)} object mappings ({', '.join(names)})", *loc)
    for mapping in found:
        objects = (str(mapping.get("sourceObjectName")), str(mapping.get("targetObjectName")))
        if name.lower() in (o.lower() for o in objects):
            return mapping
    message = f"no object mapping of {name!r} (objects: {', '.join(names)})"
    raise fail(message, *loc, "object", suggestion=closest(name, names))


def _target_definition(schema: dict[str, Any], mapping: dict[str, Any]) -> list[str]:
    """The target object's attribute names, when the schema defines it."""
    for rule in schema.get("synchronizationRules") or []:
        if mapping in (rule.get("objectMappings") or []):
            for directory in schema.get("directories") or []:
                if directory.get("name") == rule.get("targetDirectoryName"):
                    for obj in directory.get("objects") or []:
                        if str(obj.get("name")).lower() == str(mapping.get("targetObjectName")).lower():
                            return [str(a.get("name")) for a in obj.get("attributes") or []]
    return []


def _apply_mapping(
    mapping: dict[str, Any], entry: MappingOverlay, i: int, schema: dict[str, Any], fail: Raise
) -> None:
    attributes: list[dict[str, Any]] = mapping.setdefault("attributeMappings", [])
    existing = next(
        (a for a in attributes if str(a.get("targetAttributeName")).lower() == entry.target.lower()), None
    )
    if entry.remove:
        settings = ("expression", "flowType", "matchingPriority", "defaultValue")
        given = [k for k in settings if _given(entry, k)]
        if given:
            raise fail(f"'remove: true' takes no {', '.join(given)}; drop one or the other", "mappings", i)
        if existing is None:
            mapped = [str(a.get("targetAttributeName")) for a in attributes]
            raise fail(
                f"no mapping of target attribute {entry.target!r} to remove",
                "mappings",
                i,
                "target",
                suggestion=closest(entry.target, mapped),
            )
        attributes.remove(existing)
        return
    if existing is None:
        known = _target_definition(schema, mapping)
        if known and entry.target.lower() not in {k.lower() for k in known}:
            raise fail(
                f"target object {mapping.get('targetObjectName')!r} has no attribute {entry.target!r}",
                "mappings",
                i,
                "target",
                suggestion=closest(entry.target, known),
            )
        if entry.expression is None and entry.default_value is None:
            raise fail("a new mapping needs an 'expression' or a 'defaultValue'", "mappings", i)
        existing = {"targetAttributeName": entry.target, "matchingPriority": 0, "flowType": "Always"}
        attributes.append(existing)
    if entry.expression is not None:
        try:
            existing["source"] = expressions.compile(entry.expression).to_graph()
        except expressions.ExpressionError as exc:
            message = getattr(exc, "message", str(exc))
            suggestion = getattr(exc, "suggestion", None)
            raise fail(message, "mappings", i, "expression", suggestion=suggestion) from None
    if entry.flow_type is not None:
        flows = ("Always", "ObjectAddOnly", "MultiValueAddOnly", "ValueAddOnly", "AttributeAddOnly")
        if entry.flow_type not in flows:
            raise fail(
                f"unknown flowType {entry.flow_type!r}; use one of {', '.join(flows)}",
                "mappings",
                i,
                "flowType",
                suggestion=closest(entry.flow_type, flows),
            )
        existing["flowType"] = entry.flow_type
    if entry.matching_priority is not None:
        existing["matchingPriority"] = entry.matching_priority
    if entry.default_value is not None:
        existing["defaultValue"] = entry.default_value


def _given(entry: MappingOverlay, alias: str) -> bool:
    name = next(n for n, f in MappingOverlay.model_fields.items() if (f.alias or n) == alias)
    return getattr(entry, name) is not None


def _apply_clause(mapping: dict[str, Any], clause: ScopeOverlay, i: int, fail: Raise) -> None:
    from .scoping import find_operator, known_operator_names

    operator = find_operator(clause.operator)
    if operator is None:
        known = known_operator_names()
        raise fail(
            f"unknown scoping operator {clause.operator!r} (known: {', '.join(known)})",
            "scope",
            i,
            "operator",
            suggestion=closest(clause.operator, known),
        )
    added = {
        "operatorName": operator.name,
        "sourceOperandName": clause.attribute,
        "targetOperand": {"values": list(clause.values)},
    }
    scope = mapping.get("scope") or {}
    groups = scope.get("groups") or []
    if groups:
        for group in groups:
            group.setdefault("clauses", []).append(copy.deepcopy(added))
    else:
        groups = [{"clauses": [added]}]
    mapping["scope"] = {**scope, "groups": groups}
