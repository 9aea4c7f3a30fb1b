"""Pydantic models of Microsoft Graph's synchronization resources (spec §C) and their loading and dumping.

Public through ``engine``; callers use ``engine.load_schema`` / ``engine.dump_schema`` and the model
classes. Unknown fields are kept so that load → dump gives every field back.
"""

from __future__ import annotations

from ._base import AttributeType as AttributeType
from ._base import FlowBehavior as FlowBehavior
from ._base import FlowType as FlowType
from ._base import GraphModel as GraphModel
from ._base import MetadataEntry as MetadataEntry
from ._base import Mutability as Mutability
from ._base import SourceType as SourceType
from ._directory import AttributeDefinition as AttributeDefinition
from ._directory import DirectoryDefinition as DirectoryDefinition
from ._directory import ObjectDefinition as ObjectDefinition
from ._directory import ReferencedObject as ReferencedObject
from ._directory import StringKeyStringValuePair as StringKeyStringValuePair
from ._directory import is_entra_directory as is_entra_directory
from ._filter import Filter as Filter
from ._filter import FilterClause as FilterClause
from ._filter import FilterGroup as FilterGroup
from ._filter import FilterOperand as FilterOperand
from ._io import Problem as Problem
from ._io import SchemaLoadError as SchemaLoadError
from ._io import dump_model as dump_model
from ._io import dump_schema as dump_schema
from ._io import is_template_document as is_template_document
from ._io import load_schema as load_schema
from ._io import load_template as load_template
from ._io import validate_model as validate_model
from ._jobs import SynchronizationError as SynchronizationError
from ._jobs import SynchronizationJob as SynchronizationJob
from ._jobs import SynchronizationJobRestartCriteria as SynchronizationJobRestartCriteria
from ._jobs import SynchronizationProgress as SynchronizationProgress
from ._jobs import SynchronizationQuarantine as SynchronizationQuarantine
from ._jobs import SynchronizationSchedule as SynchronizationSchedule
from ._jobs import SynchronizationSecretKeyStringValuePair as SynchronizationSecretKeyStringValuePair
from ._jobs import SynchronizationStatus as SynchronizationStatus
from ._jobs import SynchronizationTaskExecution as SynchronizationTaskExecution
from ._rules import AttributeMapping as AttributeMapping
from ._rules import AttributeMappingSource as AttributeMappingSource
from ._rules import ObjectMapping as ObjectMapping
from ._rules import SourceParameter as SourceParameter
from ._rules import SynchronizationRule as SynchronizationRule
from ._rules import parse_flow_types as parse_flow_types
from ._schema import AttributeMappingFunctionSchema as AttributeMappingFunctionSchema
from ._schema import AttributeMappingParameterSchema as AttributeMappingParameterSchema
from ._schema import FilterOperatorSchema as FilterOperatorSchema
from ._schema import SynchronizationSchema as SynchronizationSchema
from ._schema import SynchronizationTemplate as SynchronizationTemplate
from ._source import Document as Document
from ._source import DocumentError as DocumentError
from ._source import parse_document as parse_document
from ._source import read_text as read_text

__all__ = [
    "AttributeDefinition",
    "AttributeMapping",
    "AttributeMappingFunctionSchema",
    "AttributeMappingParameterSchema",
    "AttributeMappingSource",
    "AttributeType",
    "DirectoryDefinition",
    "Document",
    "DocumentError",
    "Filter",
    "FilterClause",
    "FilterGroup",
    "FilterOperand",
    "FilterOperatorSchema",
    "FlowBehavior",
    "FlowType",
    "GraphModel",
    "MetadataEntry",
    "Mutability",
    "ObjectDefinition",
    "ObjectMapping",
    "Problem",
    "ReferencedObject",
    "SchemaLoadError",
    "SourceParameter",
    "SourceType",
    "StringKeyStringValuePair",
    "SynchronizationError",
    "SynchronizationJob",
    "SynchronizationJobRestartCriteria",
    "SynchronizationProgress",
    "SynchronizationQuarantine",
    "SynchronizationRule",
    "SynchronizationSchedule",
    "SynchronizationSchema",
    "SynchronizationSecretKeyStringValuePair",
    "SynchronizationStatus",
    "SynchronizationTaskExecution",
    "SynchronizationTemplate",
    "dump_model",
    "dump_schema",
    "is_template_document",
    "load_schema",
    "load_template",
    "parse_document",
    "parse_flow_types",
    "read_text",
    "validate_model",
]
