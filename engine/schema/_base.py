"""The base every Graph synchronization model shares, the enums, and metadata lists.

Graph documents grow new fields and carry ``@odata.*`` annotations, so the mirror models keep unknown
fields (``extra="allow"``) and :func:`engine.dump_schema` gives them back. Callers: every module of
``engine.schema``.
"""

from __future__ import annotations

import json
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic.alias_generators import to_camel


class GraphModel(BaseModel):
    """A Graph resource: camelCase on the wire, snake_case in Python, unknown fields kept."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        use_attribute_docstrings=True,
        extra="allow",
        validate_assignment=False,
    )


def _enum_from_number(members: tuple[str, ...], value: Any) -> Any:
    """Old documents (the 2017 Salesforce template) store enums as their ordinal; map it to the name."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and 0 <= value < len(members):
        return members[value]
    if isinstance(value, str) and value.strip().isdigit() and int(value) < len(members):
        return members[int(value)]
    return value


class GraphEnum(StrEnum):
    """A Graph enum: its value is the name written on the wire; old documents write the ordinal."""

    @classmethod
    def coerce(cls, value: Any) -> Any:
        """Map an ordinal (``0``, ``"1"``) to the member name; anything else is returned unchanged."""
        return _enum_from_number(tuple(m.value for m in cls), value)


class FlowType(GraphEnum):
    """When an attribute mapping flows (attributeMapping.flowType)."""

    ALWAYS = "Always"
    OBJECT_ADD_ONLY = "ObjectAddOnly"
    MULTI_VALUE_ADD_ONLY = "MultiValueAddOnly"
    VALUE_ADD_ONLY = "ValueAddOnly"
    ATTRIBUTE_ADD_ONLY = "AttributeAddOnly"


class FlowBehavior(GraphEnum):
    """When a changed value is exported (attributeMapping.flowBehavior)."""

    FLOW_WHEN_CHANGED = "FlowWhenChanged"
    FLOW_ALWAYS = "FlowAlways"


class SourceType(GraphEnum):
    """The node kind of an attributeMappingSource."""

    ATTRIBUTE = "Attribute"
    CONSTANT = "Constant"
    FUNCTION = "Function"


class AttributeType(GraphEnum):
    """attributeDefinition.type."""

    STRING = "String"
    INTEGER = "Integer"
    REFERENCE = "Reference"
    BINARY = "Binary"
    BOOLEAN = "Boolean"
    DATE_TIME = "DateTime"


class Mutability(GraphEnum):
    """attributeDefinition.mutability."""

    READ_WRITE = "ReadWrite"
    READ_ONLY = "ReadOnly"
    IMMUTABLE = "Immutable"
    WRITE_ONLY = "WriteOnly"


class MetadataEntry(GraphModel):
    """One ``{key, value}`` pair of a metadata list (objectDefinition, attributeDefinition, objectMapping,
    synchronizationRule, synchronizationTemplate)."""

    key: str
    """The metadata key, e.g. ``IsSoftDeletionSupported``."""
    value: str | None = None
    """The value as Graph stores it: always a string, sometimes JSON inside it (``"\\"Normal\\""``)."""

    @field_validator("value", mode="before")
    @classmethod
    def _stringify(cls, value: Any) -> Any:
        # A few exports write Booleans or numbers here; Graph's type is String, so keep the text form.
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, int | float):
            return str(value)
        return value


def unwrap_metadata(value: str | None) -> str | None:
    """The value a reader means: a JSON-encoded string literal (``"\\"Normal\\""``, as old exports write
    it) is decoded to ``Normal``; anything else is returned unchanged."""
    if value is None or len(value) < 2 or not (value.startswith('"') and value.endswith('"')):
        return value
    try:
        decoded = json.loads(value)
    except ValueError:
        return value
    return decoded if isinstance(decoded, str) else value


class HasMetadata(GraphModel):
    """A model with a ``metadata`` list, and the lookup the engine uses."""

    metadata: list[MetadataEntry] = Field(default_factory=list)
    """Key/value metadata (keys listed in spec §C.2–C.3)."""

    def metadata_value(self, key: str) -> str | None:
        """The value of metadata ``key`` (case-insensitive key), JSON string literals unwrapped; None when
        absent."""
        wanted = key.lower()
        for entry in self.metadata:
            if entry.key.lower() == wanted:
                return unwrap_metadata(entry.value)
        return None

    def metadata_json(self, key: str) -> Any:
        """Metadata ``key`` decoded as JSON (``defaultSourceObjectMappings``, ``ComplexObjectDefinition``);
        None when absent. A value that is not JSON raises ValueError naming the key."""
        raw = next((e.value for e in self.metadata or [] if e.key.lower() == key.lower()), None)
        if raw is None:
            return None
        try:
            return json.loads(raw)
        except ValueError as exc:
            raise ValueError(f"metadata {key!r} does not hold JSON: {exc}") from None

    def metadata_flag(self, key: str) -> bool:
        """True when metadata ``key`` says ``true`` (any case)."""
        value = self.metadata_value(key)
        return value is not None and value.strip().lower() == "true"
