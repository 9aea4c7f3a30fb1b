"""The values the sync pipeline passes around: actions, attribute changes, planned operations.

All immutable and hashable, so decisions are easy to compare in tests and a ``Plan`` can be printed,
saved as JSON and diffed (STYLE habit 10).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, NamedTuple, Protocol

from connectors import Modification

NO_VALUES: Mapping[str, Any] = MappingProxyType({})
"""An empty essence shared by the operations that leave none (read-only: never written to)."""


class Action(enum.StrEnum):
    """What a cycle does with one object (the values are Graph's ``provisioningAction`` names)."""

    CREATE = "create"
    UPDATE = "update"
    DISABLE = "disable"
    DELETE = "delete"
    SKIP = "skip"
    """Nothing is written, for a reason worth telling (out of scope, flow type not allowed, ...)."""
    NOOP = "noop"
    """Nothing to write: source and target already agree (Entra's ``RedundantExport``)."""
    STAGED_DELETE = "stagedDelete"
    """A disable or delete held back by the accidental-deletion guard."""
    FAIL = "fail"
    """The object could not be processed (escrowed); ``reason`` says why."""

    @property
    def is_removal(self) -> bool:
        return self in (Action.DISABLE, Action.DELETE)


class LinkView(Protocol):
    """A stored link as the plan reads it (``engine.state.Link`` is one): the source object's target object
    and the values last exported to it (its essence)."""

    @property
    def source_id(self) -> str: ...
    @property
    def target_id(self) -> str: ...
    @property
    def essence(self) -> Mapping[str, Any]: ...
    @property
    def disabled(self) -> bool: ...
    @property
    def pending_refs(self) -> Mapping[str, Any] | None: ...


class AttributeChange(NamedTuple):
    """One attribute's change, as shown to users (dry-run, logs): ``old`` is the last exported value."""

    name: str
    old: Any
    new: Any


class Reason(enum.StrEnum):
    """Why an object is skipped, held or failed (shown in dry-runs and logs; a failure's error code)."""

    OUT_OF_SCOPE = "NotInScope"
    FILTERED_OUT = "FilteredOut"
    DISABLED = "SourceDisabled"
    SOFT_DELETED = "SourceSoftDeleted"
    HARD_DELETED = "SourceDeleted"
    NOT_PROVISIONED = "NotProvisioned"
    SKIP_OUT_OF_SCOPE = "SkipOutOfScopeDeletions"
    ADD_NOT_ALLOWED = "AddNotInFlowTypes"
    UPDATE_NOT_ALLOWED = "UpdateNotInFlowTypes"
    DELETE_NOT_ALLOWED = "DeleteNotInFlowTypes"
    NO_SOFT_DELETE_MAPPING = "NoSoftDeleteMapping"
    IGNORED = "IgnoreObjectFlow"
    REDUNDANT = "RedundantExport"
    MATCH_CONFLICT = "MatchingConflict"
    NO_MATCHING_VALUE = "MissingMatchingValue"
    REQUIRED_MISSING = "MissingRequiredValue"
    EVALUATION_FAILED = "ExpressionEvaluationFailed"
    TARGET_REJECTED = "TargetRejected"
    TOO_MANY_DELETES = "TooManyDeletes"
    ALREADY_DISABLED = "AlreadyDisabled"
    REFERENCE_RESOLUTION = "ReferenceResolution"
    """Not a failure: the update that exports references resolved after their objects were provisioned."""
    UNCOMMITTED_CREATE = "UncommittedCreate"
    """A create a crash left unrecorded (the create journal, ``engine.plan.decide_intent``)."""


class PlannedOperation(NamedTuple):
    """One planned step for one object: what to write and what the state should remember afterwards.

    (``connectors.Operation`` is the connectors' enum of change kinds; this is the engine's plan.) A named
    tuple, like the changes and modifications it holds: immutable and cheap to build (a cycle makes one or
    two per source object). ``op._replace(...)`` gives a changed copy."""

    action: Action
    mapping_key: str
    """The object mapping's key (``CompiledMapping.key``)."""
    object_type: str
    """The target object type."""
    source_id: str
    target_id: str | None = None
    changes: tuple[AttributeChange, ...] = ()
    modifications: tuple[Modification, ...] = ()
    essence: Mapping[str, Any] = NO_VALUES
    """The values the target holds once this operation is applied (stored with the link)."""
    reason: str = ""
    display_name: str | None = None
    source_type: str = ""
    disabled: bool = False
    """The link is marked disabled once applied (a DISABLE, or an object kept disabled)."""
    error: Reason | None = None
    """A FAIL's error code (``reason`` is its message)."""
    detail: str = ""
    """Why, for people, beside a skip's or a removal's reason code: the scoping clause that failed."""
    source_details: Mapping[str, str] = NO_VALUES
    """Where the source object came from, shown in the log's ``sourceIdentity.details`` (API-driven inbound
    provisioning: the record's ``bulkId``; see ``_map.source_details``)."""

    def to_json(self) -> dict[str, Any]:
        """The dry-run shape: action, objectType, sourceId, targetId, changes, reason (and detail, when
        there is one)."""
        data = {
            "action": self.action.value,
            "objectType": self.object_type,
            "sourceObjectType": self.source_type,
            "sourceId": self.source_id,
            "targetId": self.target_id,
            "displayName": self.display_name,
            "changes": [{"name": c.name, "old": c.old, "new": c.new} for c in self.changes],
            "reason": self.reason,
        }
        if self.detail:
            data["detail"] = self.detail
        return data

    @property
    def writes(self) -> bool:
        return self.action in (Action.CREATE, Action.DELETE) or bool(self.modifications)


DEFAULTS_AFTER_SOURCE_TYPE = PlannedOperation(Action.NOOP, "", "", "")[
    PlannedOperation._fields.index("source_type") + 1 :
]
"""The defaults of ``PlannedOperation``'s fields after ``source_type``, in order: the hot paths that make one
positionally (``tuple.__new__``) pass the fields up to ``source_type`` and these."""
