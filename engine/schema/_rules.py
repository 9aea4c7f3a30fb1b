"""Rule side of a schema: synchronizationRule, objectMapping, attributeMapping, attributeMappingSource
(spec §C.3). The engine reads ``object_mapping.flow_types`` and ``attribute_mapping.compiled()``."""

from __future__ import annotations

import re
from functools import cached_property
from typing import TYPE_CHECKING, Any

from pydantic import Field, field_validator

from ._base import FlowBehavior, FlowType, GraphModel, HasMetadata, SourceType
from ._filter import Filter

if TYPE_CHECKING:
    from expressions import CompiledExpression

FLOW_TYPE_NAMES = ("Add", "Update", "Delete")
"""The object-mapping flow types, in the bit order the numeric form uses (Add=1, Update=2, Delete=4)."""
_DEFAULT_FLOW_TYPES = frozenset(FLOW_TYPE_NAMES)


class SourceParameter(GraphModel):
    """A named parameter of a Function node (``{"key": "source", "value": {...}}``)."""

    key: str | None = None
    """The parameter name (``source``, ``one``…``five``, ``separator``, ...)."""
    value: AttributeMappingSource | None = None
    """The argument."""


class AttributeMappingSource(GraphModel):
    """An expression as Graph stores it: a tree of Attribute, Constant and Function nodes."""

    type: SourceType | None = None
    """Attribute, Constant or Function."""
    name: str | None = None
    """Attribute name, constant value or function name."""
    expression: str | None = None
    """The same expression as text (what the portal shows)."""
    parameters: list[SourceParameter] | None = None
    """Function arguments, in order."""

    @field_validator("type", mode="before")
    @classmethod
    def _type(cls, value: Any) -> Any:
        return SourceType.coerce(value)


SourceParameter.model_rebuild()


class AttributeMapping(GraphModel):
    """One target attribute and how its value is computed."""

    target_attribute_name: str | None = None
    """The target attribute."""
    source: AttributeMappingSource | None = None
    """The expression; null for a "None" mapping that only supplies a default value."""
    default_value: str | None = None
    """Used when the source gives null."""
    matching_priority: int = 0
    """0: not a matching attribute; 1..n: matching precedence, lowest tried first."""
    flow_type: FlowType = FlowType.ALWAYS
    """Always (default), ObjectAddOnly, MultiValueAddOnly, ValueAddOnly, AttributeAddOnly."""
    flow_behavior: FlowBehavior = FlowBehavior.FLOW_WHEN_CHANGED
    """FlowWhenChanged (default) or FlowAlways."""
    export_missing_references: bool = False
    """Graph: "for internal use only"; kept."""

    @field_validator("flow_type", mode="before")
    @classmethod
    def _flow_type(cls, value: Any) -> Any:
        return FlowType.coerce(value)

    @field_validator("flow_behavior", mode="before")
    @classmethod
    def _flow_behavior(cls, value: Any) -> Any:
        return FlowBehavior.coerce(value)

    def compiled(self) -> CompiledExpression | None:
        """The source compiled once (cached): through ``expressions.from_graph`` when the structured form
        is there (it wins over a disagreeing ``expression`` text; validate warns), else from the
        ``expression`` text (a hand-written source with ``expression`` and ``type`` but no ``name`` /
        ``parameters``); None when the source is null.

        Raises ``expressions.ExpressionError`` when the source does not compile."""
        return self.compiled_expression

    @cached_property
    def compiled_expression(self) -> CompiledExpression | None:
        """:meth:`compiled` as a cached property (a cached property, unlike a private attribute, does not
        take part in model equality)."""
        return _compile_source(self.source)


def _compile_source(source: AttributeMappingSource | None) -> CompiledExpression | None:
    import expressions  # deferred: keeps loading a schema cheap when nothing is compiled

    if source is None:
        return None
    if source.expression and (source.type is None or (not source.name and not source.parameters)):
        # Hand-written: the text alone (DESIGN decision 18), whatever ``type`` says.
        return expressions.compile(source.expression)
    graph = source.model_dump(by_alias=True, exclude_unset=True, mode="json")
    return expressions.from_graph(graph)


def parse_flow_types(value: object) -> frozenset[str]:
    """Normalise ``flowTypes``: ``"Add, Update, Delete"``, ``"Add,Update"``, or the 2017 bit mask (7)."""
    if value is None:
        return _DEFAULT_FLOW_TYPES
    if isinstance(value, int) and not isinstance(value, bool):
        return frozenset(name for bit, name in enumerate(FLOW_TYPE_NAMES) if value & (1 << bit))
    if isinstance(value, str) and value.strip().isdigit():
        return parse_flow_types(int(value))
    if isinstance(value, str):
        canonical = {name.lower(): name for name in FLOW_TYPE_NAMES}
        parts = [p.strip().lower() for p in re.split(r"[,|]", value) if p.strip()]
        if parts == ["none"]:
            return frozenset()
        unknown = [p for p in parts if p not in canonical]
        if unknown:
            raise ValueError(f"unknown flow type {unknown[0]!r}; expected a list of Add, Update, Delete")
        return frozenset(canonical[p] for p in parts)
    raise ValueError(f"flowTypes must be a string like 'Add, Update, Delete' or a number, not {value!r}")


class ObjectMapping(HasMetadata):
    """How one source object type becomes one target object type."""

    name: str | None = None
    """Display name; real exports leave disabled mappings nameless."""
    enabled: bool = True
    """False: the mapping is skipped."""
    flow_types_raw: str | int | None = Field(default=None, alias="flowTypes")
    """``flowTypes`` exactly as written; read :attr:`flow_types` for the normalised set."""
    scope: Filter | None = None
    """The scoping filter; null means every object."""
    source_object_name: str | None = None
    """Object type read from the source directory."""
    target_object_name: str | None = None
    """Object type written to the target directory."""
    attribute_mappings: list[AttributeMapping] = Field(default_factory=list)
    """The attribute mappings."""

    @field_validator("flow_types_raw", mode="before")
    @classmethod
    def _check_flow_types(cls, value: Any) -> Any:
        # Checked before the union so a wrong value gets one clear message, not one per union member.
        parse_flow_types(value)
        return value

    @property
    def flow_types(self) -> frozenset[str]:
        """The target actions allowed: a subset of {"Add", "Update", "Delete"} (default all three)."""
        return parse_flow_types(self.flow_types_raw)

    @property
    def matching_mappings(self) -> list[AttributeMapping]:
        """Attribute mappings with a matching priority, lowest (tried first) first."""
        found = [m for m in self.attribute_mappings if m.matching_priority > 0]
        return sorted(found, key=lambda m: m.matching_priority)


class SynchronizationRule(HasMetadata):
    """One direction of synchronization between two directories."""

    id: str | None = None
    """Engine-recognised rule id."""
    name: str | None = None
    """Rule name (``USER_OUTBOUND_USER``)."""
    editable: bool | None = None
    """Whether the rule may be changed."""
    priority: int | None = None
    """Rules run lowest first."""
    source_directory_name: str | None = None
    """Name of the directory read."""
    target_directory_name: str | None = None
    """Name of the directory written."""
    object_mappings: list[ObjectMapping] = Field(default_factory=list)
    """The object mappings, users before groups."""
    container_filter: Any = None
    """Cloud sync's OU filter (``includedContainers``): executed (``engine/plan/_rule_filters``)."""
    group_filter: Any = None
    """Cloud sync's group filter (``includedGroups``): executed (``engine/plan/_rule_filters``)."""
