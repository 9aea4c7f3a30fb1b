"""idsync's engine: Graph schema models, validation, scoping, planning, the sync cycle, state, the daemon
and the command line. ``engine`` may import ``expressions`` and ``connectors``; never the reverse."""

__all__: list[str] = []

# --- Graph schema models, load/dump, scoping ---
from engine.catalog import filter_operators_catalog as filter_operators_catalog
from engine.catalog import functions_catalog as functions_catalog
from engine.schema import AttributeDefinition as AttributeDefinition
from engine.schema import AttributeMapping as AttributeMapping
from engine.schema import AttributeMappingFunctionSchema as AttributeMappingFunctionSchema
from engine.schema import AttributeMappingParameterSchema as AttributeMappingParameterSchema
from engine.schema import AttributeMappingSource as AttributeMappingSource
from engine.schema import AttributeType as AttributeType
from engine.schema import DirectoryDefinition as DirectoryDefinition
from engine.schema import DocumentError as DocumentError
from engine.schema import Filter as Filter
from engine.schema import FilterClause as FilterClause
from engine.schema import FilterGroup as FilterGroup
from engine.schema import FilterOperand as FilterOperand
from engine.schema import FilterOperatorSchema as FilterOperatorSchema
from engine.schema import FlowBehavior as FlowBehavior
from engine.schema import FlowType as FlowType
from engine.schema import MetadataEntry as MetadataEntry
from engine.schema import Mutability as Mutability
from engine.schema import ObjectDefinition as ObjectDefinition
from engine.schema import ObjectMapping as ObjectMapping
from engine.schema import SchemaLoadError as SchemaLoadError
from engine.schema import SourceType as SourceType
from engine.schema import SynchronizationJob as SynchronizationJob
from engine.schema import SynchronizationJobRestartCriteria as SynchronizationJobRestartCriteria
from engine.schema import SynchronizationProgress as SynchronizationProgress
from engine.schema import SynchronizationQuarantine as SynchronizationQuarantine
from engine.schema import SynchronizationRule as SynchronizationRule
from engine.schema import SynchronizationSchedule as SynchronizationSchedule
from engine.schema import SynchronizationSchema as SynchronizationSchema
from engine.schema import SynchronizationStatus as SynchronizationStatus
from engine.schema import SynchronizationTaskExecution as SynchronizationTaskExecution
from engine.schema import SynchronizationTemplate as SynchronizationTemplate
from engine.schema import dump_schema as dump_schema
from engine.schema import load_schema as load_schema
from engine.schema import load_template as load_template
from engine.scoping import ScopeError as ScopeError
from engine.scoping import ScopeResult as ScopeResult
from engine.scoping import classify_scope as classify_scope
from engine.scoping import compile_scope as compile_scope
from engine.scoping import compile_scope_result as compile_scope_result
from engine.scoping import evaluate_scope as evaluate_scope
from engine.scoping import explain_scope as explain_scope
from engine.templates import UnknownTemplateError as UnknownTemplateError
from engine.templates import get_template as get_template
from engine.templates import list_templates as list_templates
from engine.validation import Finding as Finding
from engine.validation import validate as validate

# isort: split
# --- engine core: job files, state, planning, cycles, dry-run, explain ---
from engine.job import Job as Job
from engine.job import JobFileError as JobFileError
from engine.job import JobSettings as JobSettings
from engine.job import bind_connectors as bind_connectors
from engine.job import load_job as load_job
from engine.plan import Action as Action
from engine.plan import AttributeChange as AttributeChange
from engine.plan import PlannedOperation as PlannedOperation
from engine.plan import Reason as Reason
from engine.run import RESET_SCOPES as RESET_SCOPES
from engine.run import CycleReport as CycleReport
from engine.run import ObjectNotFound as ObjectNotFound
from engine.run import Plan as Plan
from engine.run import SyncEngine as SyncEngine
from engine.state import StateError as StateError
from engine.state import StateStore as StateStore

__all__ += [
    "AttributeDefinition",
    "AttributeMapping",
    "AttributeMappingFunctionSchema",
    "AttributeMappingParameterSchema",
    "AttributeMappingSource",
    "AttributeType",
    "DirectoryDefinition",
    "DocumentError",
    "Filter",
    "FilterClause",
    "FilterGroup",
    "FilterOperand",
    "FilterOperatorSchema",
    "Finding",
    "FlowBehavior",
    "FlowType",
    "MetadataEntry",
    "Mutability",
    "ObjectDefinition",
    "ObjectMapping",
    "SchemaLoadError",
    "ScopeError",
    "ScopeResult",
    "SourceType",
    "SynchronizationJob",
    "SynchronizationJobRestartCriteria",
    "SynchronizationProgress",
    "SynchronizationQuarantine",
    "SynchronizationRule",
    "SynchronizationSchedule",
    "SynchronizationSchema",
    "SynchronizationStatus",
    "SynchronizationTaskExecution",
    "SynchronizationTemplate",
    "UnknownTemplateError",
    "classify_scope",
    "compile_scope",
    "compile_scope_result",
    "dump_schema",
    "evaluate_scope",
    "explain_scope",
    "filter_operators_catalog",
    "functions_catalog",
    "get_template",
    "list_templates",
    "load_schema",
    "load_template",
    "validate",
]

__all__ += [
    "RESET_SCOPES",
    "Action",
    "AttributeChange",
    "CycleReport",
    "Job",
    "JobFileError",
    "JobSettings",
    "ObjectNotFound",
    "Plan",
    "PlannedOperation",
    "Reason",
    "StateError",
    "StateStore",
    "SyncEngine",
    "bind_connectors",
    "load_job",
]
