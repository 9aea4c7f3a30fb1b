"""The containers: synchronizationSchema and synchronizationTemplate (spec §C.1), plus the catalogue
entry shapes of ``GET .../schema/functions`` and ``.../schema/filterOperators``."""

from __future__ import annotations

from pydantic import Field

from ._base import GraphModel, HasMetadata
from ._directory import DirectoryDefinition, ObjectDefinition
from ._rules import SynchronizationRule


class SynchronizationSchema(HasMetadata):
    """A whole synchronization schema: directories and rules."""

    id: str | None = None
    """Schema id."""
    version: str | None = None
    """Changes on each update."""
    provisioning_task_identifier: str | None = None
    """Older payloads: the provisioning task."""
    synchronization_rules: list[SynchronizationRule] = Field(default_factory=list)
    """The rules, each one direction between two directories."""
    directories: list[DirectoryDefinition] = Field(default_factory=list)
    """The directory definitions the rules name."""

    def directory(self, name: str) -> DirectoryDefinition | None:
        """The directory called ``name`` (case-insensitive), or None."""
        wanted = name.lower()
        return next((d for d in self.directories if d.name.lower() == wanted), None)

    def object_definition(self, directory: str | None, name: str | None) -> ObjectDefinition | None:
        """``directory(directory).object(name)``, tolerant of missing names."""
        found = self.directory(directory) if directory else None
        return found.object(name) if found is not None and name else None

    @property
    def rules_by_priority(self) -> list[SynchronizationRule]:
        """Rules lowest priority first (rules without one last, in document order)."""
        indexed = list(enumerate(self.synchronization_rules))
        indexed.sort(key=lambda pair: (pair[1].priority is None, pair[1].priority or 0, pair[0]))
        return [rule for _, rule in indexed]


class SynchronizationTemplate(HasMetadata):
    """A pre-configured synchronization setting for an application (idsync's built-ins are these)."""

    id: str
    """Template id (``scim``)."""
    application_id: str | None = None
    """The application it belongs to."""
    default: bool | None = None
    """The default template for the application."""
    description: str | None = None
    """What it does; idsync's descriptions name the directories a job must bind."""
    discoverable: bool | None = None
    """Whether it is listed."""
    factory_tag: str | None = None
    """Which engine implementation runs it."""
    schema_: SynchronizationSchema | None = Field(default=None, alias="schema")
    """The template's schema."""


class AttributeMappingParameterSchema(GraphModel):
    """One parameter of a catalogue function."""

    name: str | None = None
    """Parameter name."""
    type: str | None = None
    """Boolean, Binary, Reference, Integer or String."""
    required: bool | None = None
    """Whether it must be given."""
    allow_multiple_occurrences: bool | None = None
    """Whether it repeats (Join's sources)."""


class AttributeMappingFunctionSchema(GraphModel):
    """One entry of ``GET .../schema/functions``."""

    name: str
    """Function name in its documented casing."""
    parameters: list[AttributeMappingParameterSchema] = Field(default_factory=list)
    """Its parameters."""


class FilterOperatorSchema(GraphModel):
    """One entry of ``GET .../schema/filterOperators``."""

    name: str
    """Operator name as written in clauses."""
    arity: str
    """Unary or Binary."""
    multivalued_comparison_type: str = "All"
    """All or Any."""
    supported_attribute_types: list[str] = Field(default_factory=list)
    """Attribute types it applies to."""
