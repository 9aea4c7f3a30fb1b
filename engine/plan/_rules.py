"""Compiling a schema's rules into the small, fast values the cycle runs: ``CompiledMapping`` per enabled
object mapping, in execution order.

Order (spec §D.1, §D.7): rules by priority; inside a rule, group mappings after the others (users,
contacts); reference attributes are split off so the cycle can export them after every object exists.

Decisions:

* A mapping attribute is a *reference* when its target (or, for a direct mapping, its source) attribute
  definition has type Reference; when the definitions do not say, the names ``manager`` and ``members``
  (any namespace prefix) are treated as references, because that is what every real schema means.
* The soft-delete attributes are the mappings whose expression reads ``IsSoftDeleted`` (spec §D.4).
* The enabled flag is the source object's ``PropertyNameAccountEnabled`` metadata (default
  ``accountEnabled``); the soft-deleted flag is the ``PropertyNameSoftDeleted`` attribute when the source
  stores one, plus a non-null ``deletedDateTime`` (how the json directory marks the recycle bin).
* A rule's target directory is Microsoft Entra ID when ``engine.schema.is_entra_directory`` says so by its
  name: Entra deprovisions there by its own soft delete (``CompiledMapping.deprovision_deletes``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ._rule_filters import rule_scope
from ._values import TEXT_KINDS

if TYPE_CHECKING:
    from expressions import CompiledExpression

    from ..schema import (
        AttributeDefinition,
        AttributeMapping,
        ObjectDefinition,
        ObjectMapping,
        SynchronizationSchema,
    )

SOFT_DELETED = "IsSoftDeleted"
_REFERENCE_NAMES = ("manager", "members")


@dataclass(frozen=True, slots=True)
class CompiledAttribute:
    """One attribute mapping, ready to evaluate."""

    target: str
    expression: CompiledExpression | None
    default: str | None = None
    matching_priority: int = 0
    flow_type: str = "Always"
    flow_always: bool = False
    kind: str | None = None
    """The target attribute's type (String, Boolean, ...); None when the definition does not declare it."""
    multivalued: bool = False
    case_exact: bool = False
    required: bool = False
    reference: bool = False
    flow_nulls: bool = False
    soft_delete: bool = False
    synthetic: bool = False
    """The target attribute definition says ``IsSynthetic`` (cross-tenant sync's target ``IsSoftDeleted``):
    Entra computes it, it is no attribute of the object; never exported."""
    plain_text: bool = field(init=False, default=False)
    """Single-valued text, not a reference: a string the expression gives is the value as it is (the map
    step's short path)."""

    single_always: bool = field(init=False, default=False)
    """Single-valued and flowing always (the usual case): a differing value simply replaces the old one
    (the decide step's short path)."""

    def __post_init__(self) -> None:
        plain = not self.multivalued and not self.reference and self.kind in TEXT_KINDS
        object.__setattr__(self, "plain_text", plain)
        object.__setattr__(self, "single_always", not self.multivalued and self.flow_type == "Always")

    @property
    def text(self) -> str:
        return getattr(self.expression, "text", "") or ""


@dataclass(frozen=True, slots=True)
class CompiledMapping:
    """One enabled object mapping of one rule."""

    key: str
    """Stable id of the mapping in the state (rule id / source object / target object)."""
    rule_id: str
    source_directory: str
    target_directory: str
    source_object: str
    target_object: str
    flow_types: frozenset[str]
    scope: Callable[[Mapping[str, Any]], str]
    """Record -> ``engine.scoping.ScopeResult`` (inScope, outOfScope, filteredOut, notInCategory)."""
    scope_filter: Any
    attributes: tuple[CompiledAttribute, ...]
    references: tuple[CompiledAttribute, ...]
    matching: tuple[CompiledAttribute, ...]
    enabled_attribute: str = "accountEnabled"
    soft_deleted_attribute: str | None = None
    mapping_set: Any = None
    """``expressions.MappingSet`` evaluating every attribute in one generated function (None: one by one)."""
    target_soft_delete: bool | None = None
    """The target object definition's IsSoftDeletionSupported (None: not said; the connector decides)."""
    source_anchor: str | None = None
    """The source object definition's anchor attribute (``objectId`` for Entra users and groups)."""
    entra_target: bool = False
    """The rule's target directory is Microsoft Entra ID (``engine.schema.is_entra_directory``)."""
    synthetic: tuple[CompiledAttribute, ...] = ()
    """Mappings to synthetic target attributes: never evaluated for export nor written; an IsSoftDeleted-
    driven one still makes the mapping's disables (spec §D.4), which then write only the others."""
    required_unmapped: tuple[str, ...] = ()
    """Required target attributes no attribute mapping writes and no definition defaults: a create fails
    with MissingRequiredValue naming them, as ``idsync validate`` predicts."""
    explain_scope: Callable[[Mapping[str, Any]], str | None] | None = None
    """Record -> the scoping clause that excludes it (``engine.scoping.compile_scope_explanation``), for the
    reasons of skips and removals; None: not told."""
    evaluated: tuple[CompiledAttribute, ...] = field(default=(), init=False)
    """``attributes`` then ``references``: every attribute evaluated for an object (computed once)."""
    required: tuple[str, ...] = field(default=(), init=False)
    """The targets of the required attributes (a create missing one fails)."""
    soft_delete_attributes: tuple[CompiledAttribute, ...] = field(default=(), init=False)
    """The IsSoftDeleted-driven attributes (spec §D.4): a disable writes them."""
    single_references: frozenset[str] = field(default=frozenset(), init=False)
    """The targets of the single-valued reference attributes (a manager): a create's fast path folds one."""
    deprovision_deletes: bool = field(default=False, init=False)
    """Deprovisioning is Entra's soft delete (README, "Deprovisioning into Microsoft Entra ID"): the
    target is Microsoft Entra ID and no IsSoftDeleted-driven attribute is written there (none is mapped,
    as in cloud sync's schemas, or only the synthetic ``IsSoftDeleted``, cross-tenant sync's switch that
    soft-deletes the target object). An object leaving scope, unassigned or soft-deleted in the source is
    deleted; an account only disabled in the source stays provisioned and its mappings flow (its
    ``accountEnabled`` becomes false)."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "evaluated", self.attributes + self.references)
        required = tuple(a.target for a in self.attributes if a.required)
        object.__setattr__(self, "required", required + self.required_unmapped)
        soft = tuple(a for a in self.attributes + self.synthetic if a.soft_delete)
        object.__setattr__(self, "soft_delete_attributes", soft)
        single = frozenset(a.target for a in self.references if not a.multivalued)
        object.__setattr__(self, "single_references", single)
        written = any(not a.synthetic for a in soft)
        object.__setattr__(self, "deprovision_deletes", self.entra_target and not written)

    def reads(self) -> frozenset[str]:
        names: set[str] = set()
        for attribute in self.evaluated:
            names.update(getattr(attribute.expression, "attribute_names", ()))
        return frozenset(names)


def _is_reference(mapping: AttributeMapping, target: AttributeDefinition | None, source: Any) -> bool:
    if target is not None and target.is_reference:
        return True
    if source is not None and getattr(source, "is_reference", False):
        return True
    name = (mapping.target_attribute_name or "").rsplit(":", 1)[-1]
    return target is None and name in _REFERENCE_NAMES


def _direct_source(mapping: AttributeMapping) -> str | None:
    source = mapping.source
    if source is not None and source.type is not None and source.type.value == "Attribute":
        return source.name
    return None


def compile_attribute(
    mapping: AttributeMapping, target: AttributeDefinition | None, source: AttributeDefinition | None
) -> CompiledAttribute:
    """One attribute mapping with what the target (and source) definitions say about it."""
    expression = mapping.compiled()
    reads: frozenset[str] = getattr(expression, "attribute_names", frozenset())
    return CompiledAttribute(
        target=mapping.target_attribute_name or "",
        expression=expression,
        default=mapping.default_value,
        matching_priority=mapping.matching_priority,
        flow_type=mapping.flow_type.value,
        flow_always=mapping.flow_behavior.value == "FlowAlways",
        kind=target.type.value if target is not None else None,
        multivalued=target.multivalued if target is not None else False,
        case_exact=target.case_exact if target is not None else False,
        required=target.required if target is not None else False,
        reference=_is_reference(mapping, target, source),
        flow_nulls=bool(
            (target is not None and target.flow_null_values) or (source and source.flow_null_values)
        ),
        soft_delete=SOFT_DELETED in reads,
        synthetic=target is not None and target.metadata_flag("IsSynthetic"),
    )


def _mapping_set(name: str, attributes: list[CompiledAttribute]) -> Any:
    import expressions

    wanted = {a.target: a.expression for a in attributes if a.expression is not None}
    if len(wanted) != len(attributes):
        return None  # a "None" mapping (no source) is simpler to evaluate one by one
    try:
        return expressions.MappingSet(wanted, name=name)
    except Exception:  # generating source is an optimisation: fall back to the closures
        return None


def _soft_delete_support(definition: Any) -> bool | None:
    value = definition.metadata_value("IsSoftDeletionSupported") if definition is not None else None
    return None if value is None else value.strip().lower() == "true"


def _is_entra(name: str | None) -> bool:
    from ..schema import is_entra_directory  # deferred like the schema types above

    return is_entra_directory(name)


def _mapping_key(rule_id: str, mapping: ObjectMapping) -> str:
    return f"{rule_id}/{mapping.source_object_name}/{mapping.target_object_name}"


def compile_mapping(schema: SynchronizationSchema, rule: Any, mapping: ObjectMapping) -> CompiledMapping:
    # deferred: the scoping package is heavier than this module
    from ..scoping import compile_scope_explanation, compile_scope_result

    source_def = schema.object_definition(rule.source_directory_name, mapping.source_object_name)
    target_def = schema.object_definition(rule.target_directory_name, mapping.target_object_name)
    compiled = [
        compile_attribute(
            am,
            target_def.attribute(am.target_attribute_name or "") if target_def else None,
            source_def.attribute(_direct_source(am) or "") if source_def and _direct_source(am) else None,
        )
        for am in mapping.attribute_mappings
        if am.target_attribute_name
    ]
    synthetic = tuple(a for a in compiled if a.synthetic)
    compiled = [a for a in compiled if not a.synthetic]
    enabled = source_def.metadata_value("PropertyNameAccountEnabled") if source_def else None
    soft = source_def.metadata_value("PropertyNameSoftDeleted") if source_def else None
    rule_id = rule.id or rule.name or f"{rule.source_directory_name}->{rule.target_directory_name}"
    key = _mapping_key(rule_id, mapping)
    return CompiledMapping(
        key=key,
        rule_id=rule_id,
        source_directory=rule.source_directory_name or "",
        target_directory=rule.target_directory_name or "",
        source_object=mapping.source_object_name or "",
        target_object=mapping.target_object_name or "",
        flow_types=mapping.flow_types,
        scope=rule_scope(compile_scope_result(mapping.scope), rule, _anchor_name(source_def)),
        scope_filter=mapping.scope,
        attributes=tuple(a for a in compiled if not a.reference),
        references=tuple(a for a in compiled if a.reference),
        matching=tuple(
            sorted((a for a in compiled if a.matching_priority > 0), key=lambda a: a.matching_priority)
        ),
        enabled_attribute=enabled or "accountEnabled",
        soft_deleted_attribute=soft if soft and soft != SOFT_DELETED else None,
        target_soft_delete=_soft_delete_support(target_def),
        source_anchor=_anchor_name(source_def),
        entra_target=_is_entra(rule.target_directory_name),
        synthetic=synthetic,
        required_unmapped=_required_unmapped(mapping, target_def),
        mapping_set=_mapping_set(key, compiled),
        explain_scope=compile_scope_explanation(mapping.scope),
    )


def _required_unmapped(mapping: ObjectMapping, target: ObjectDefinition | None) -> tuple[str, ...]:
    """What ``engine.validation`` warns about as "required target attribute ... neither mapped nor
    defaulted" (the same test, so the warning and the engine agree)."""
    if target is None:
        return ()
    mapped = {(m.target_attribute_name or "").lower() for m in mapping.attribute_mappings}
    return tuple(
        a.name
        for a in target.attributes
        if a.required and not a.anchor and not a.default_value and a.name.lower() not in mapped
    )


def _anchor_name(definition: ObjectDefinition | None) -> str | None:
    """The anchor attribute the connector's id stands for, when the definition declares exactly one. With
    several (cloud sync's ``employeeID`` and ``objectGUID``) the connector's id is the object's identity and
    no attribute is filled from it: the engine never writes a value the source did not give."""
    anchors = [a for a in definition.attributes if a.anchor] if definition is not None else []
    return anchors[0].name if len(anchors) == 1 else None


def _group_like(mapping: CompiledMapping) -> bool:
    """Groups run after users (spec §D.1): a mapping of a ``*group*`` object type, or with a ``member(s)``
    reference. Real schemas' reference definitions cannot tell them apart (cloud sync's user ``Manager`` may
    point at users, groups and contacts alike), so the names decide."""
    names = (mapping.source_object.lower(), mapping.target_object.lower())
    if any("group" in name.rsplit(":", 1)[-1] for name in names):
        return True
    return any(a.target.rsplit(":", 1)[-1].lower() in ("member", "members") for a in mapping.references)


def compile_rules(schema: SynchronizationSchema) -> list[CompiledMapping]:
    """Every enabled object mapping, in the order a cycle runs them."""
    ordered: list[tuple[int, int, int, CompiledMapping]] = []
    for rule_index, rule in enumerate(schema.rules_by_priority):
        for index, mapping in enumerate(rule.object_mappings):
            if not mapping.enabled or not mapping.source_object_name or not mapping.target_object_name:
                continue
            compiled = compile_mapping(schema, rule, mapping)
            ordered.append((rule_index, int(_group_like(compiled)), index, compiled))
    ordered.sort(key=lambda item: item[:3])
    return [item[3] for item in ordered]
