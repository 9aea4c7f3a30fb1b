"""Directory side of a schema: directoryDefinition, objectDefinition, attributeDefinition (spec §C.2).

The lookups (``directory.object(name)``, ``object_definition.attribute(name)``) are what the engine, the
validator and the connectors use; names compare case-insensitively, as Entra does for attribute names.
"""

from __future__ import annotations

import re
from functools import cached_property
from typing import Any

from pydantic import Field, field_validator

from ._base import AttributeType, GraphModel, HasMetadata, MetadataEntry, Mutability


class ReferencedObject(GraphModel):
    """The target of a Reference attribute (``manager`` → ``User``)."""

    referenced_object_name: str | None = None
    """Name of the referenced objectDefinition in the same directory."""
    referenced_property: str | None = None
    """The property of the referenced object the reference holds (usually the anchor)."""


class StringKeyStringValuePair(GraphModel):
    """A ``{key, value}`` pair without metadata semantics (``apiExpressions``, job settings, secrets)."""

    key: str | None = None
    """The key."""
    value: str | None = None
    """The value."""


class AttributeDefinition(HasMetadata):
    """One attribute of an objectDefinition."""

    name: str
    """Attribute name, unique within its object."""
    type: AttributeType = AttributeType.STRING
    """String (default), Integer, Reference, Binary, Boolean or DateTime."""
    multivalued: bool = False
    """True when the attribute holds a list."""
    required: bool = False
    """Creation fails without a value (the mapping or its default value must give one)."""
    anchor: bool = False
    """The object's unique, immutable key (one per object)."""
    case_exact: bool = False
    """Change detection compares case-sensitively."""
    mutability: Mutability = Mutability.READ_WRITE
    """ReadWrite (default), ReadOnly, Immutable or WriteOnly."""
    default_value: str | None = None
    """The value used when nothing else gives one."""
    flow_null_values: bool = False
    """Null may flow to this attribute, clearing it in the target."""
    referenced_objects: list[ReferencedObject] | None = None
    """For Reference attributes: what they point at."""
    api_expressions: list[StringKeyStringValuePair] | None = None
    """Beta: per-API expressions (Workday XPath, SuccessFactors JSONPath)."""

    @field_validator("type", mode="before")
    @classmethod
    def _type(cls, value: Any) -> Any:
        return AttributeType.coerce(value)

    @field_validator("mutability", mode="before")
    @classmethod
    def _mutability(cls, value: Any) -> Any:
        return Mutability.coerce(value)

    @property
    def is_reference(self) -> bool:
        return self.type is AttributeType.REFERENCE


class ObjectDefinition(HasMetadata):
    """One object type of a directory (``User``, ``Group``, ``inetOrgPerson``)."""

    name: str
    """Object name, unique within its directory."""
    attributes: list[AttributeDefinition] = Field(default_factory=list)
    """The object's attributes."""
    supported_apis: list[str] | None = None
    """APIs the object supports (Graph's own bookkeeping)."""

    @cached_property
    def _by_name(self) -> dict[str, AttributeDefinition]:
        index: dict[str, AttributeDefinition] = {}
        for attribute in self.attributes:
            index.setdefault(attribute.name.lower(), attribute)
        return index

    def attribute(self, name: str) -> AttributeDefinition | None:
        """The attribute called ``name`` (case-insensitive), or None."""
        return self._by_name.get(name.lower())

    @property
    def attribute_names(self) -> list[str]:
        return [attribute.name for attribute in self.attributes]

    @property
    def anchor(self) -> AttributeDefinition | None:
        """The anchor attribute, or None when the definition declares none."""
        return next((a for a in self.attributes if a.anchor), None)


_ENTRA_NAMES = re.compile(r"(microsoft entra id|azure active directory|azure ad)(\s*\(.*\))?", re.IGNORECASE)


def is_entra_directory(name: str | None) -> bool:
    """Whether a directory definition named ``name`` is Microsoft Entra ID: ``Microsoft Entra ID``, ``Azure
    Active Directory`` or ``Azure AD``, a parenthesised qualifier allowed (cross-tenant sync's ``Microsoft
    Entra ID (target tenant)``). Cloud sync and cross-tenant sync write there; Entra deprovisions there by its
    own soft delete (README, "Deprovisioning into Microsoft Entra ID")."""
    return name is not None and _ENTRA_NAMES.fullmatch(name.strip()) is not None


class DirectoryDefinition(GraphModel):
    """A directory taking part in the schema (``Azure Active Directory``, ``SCIM App``)."""

    id: str | None = None
    """Directory id."""
    name: str
    """Directory name, unique in the schema; rules refer to it."""
    objects: list[ObjectDefinition] = Field(default_factory=list)
    """The object types."""
    read_only: bool | None = None
    """True when the directory cannot be written."""
    version: str | None = None
    """Changes when the definition is rediscovered."""
    discovery_date_time: str | None = None
    """When the definition was discovered (ISO 8601, kept as written)."""
    discoverabilities: str | None = None
    """Flags: None, AttributeNames, AttributeDataTypes, AttributeReadOnly, ReferenceAttributes."""
    metadata: list[MetadataEntry] | None = None
    """Directory metadata (rare; kept)."""

    def object(self, name: str) -> ObjectDefinition | None:
        """The object definition called ``name`` (case-insensitive), or None."""
        wanted = name.lower()
        return next((o for o in self.objects if o.name.lower() == wanted), None)

    @property
    def object_names(self) -> list[str]:
        return [o.name for o in self.objects]
