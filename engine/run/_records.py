"""Serialising operations (for removals staged by the deletion guard) and building provisioning log records
in Graph's ``provisioningObjectSummary`` shape (spec §D.9).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from connectors import Modification, ValueOp

from ..plan import Action, AttributeChange, PlannedOperation, Reason
from ..state import iso

_CODES = frozenset(Reason)
_STEP_TYPES = ("import", "scoping", "matching", "processing", "referenceResolution", "export")


def operation_to_json(op: PlannedOperation) -> dict[str, Any]:
    data = op.to_json()
    data.update(
        mappingKey=op.mapping_key,
        essence=dict(op.essence),
        disabled=op.disabled,
        modifications=[
            {"name": m.name, "op": m.op.value, "values": list(m.values)} for m in op.modifications
        ],
    )
    return data


def operation_from_json(data: Mapping[str, Any]) -> PlannedOperation:
    return PlannedOperation(
        action=Action(data["action"]),
        mapping_key=data.get("mappingKey") or data["scope"],
        object_type=data["objectType"],
        source_id=data["sourceId"],
        target_id=data.get("targetId"),
        changes=tuple(AttributeChange(c["name"], c["old"], c["new"]) for c in data.get("changes", ())),
        modifications=tuple(
            Modification(m["name"], ValueOp(m["op"]), tuple(m["values"]))
            for m in data.get("modifications", ())
        ),
        essence=dict(data.get("essence", {})),
        reason=data.get("reason", ""),
        display_name=data.get("displayName"),
        source_type=data.get("sourceObjectType", ""),
        disabled=bool(data.get("disabled", False)),
        detail=data.get("detail", ""),
    )


@dataclass(frozen=True, slots=True)
class LogContext:
    """What every record of one cycle shares."""

    job_id: str
    cycle_id: str
    service_principal: str
    source_system: str
    target_system: str
    initiated_by: str = "idsync"


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if isinstance(value, bool):
        return "True" if value else "False"
    return str(value)


def step(
    name: str, kind: str, status: str, description: str, details: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    assert kind in _STEP_TYPES
    return {
        "name": name,
        "provisioningStepType": kind,
        "status": status,
        "description": description,
        "details": {k: _text(v) for k, v in (details or {}).items()},
    }


_ACTION = {
    Action.CREATE: "create",
    Action.UPDATE: "update",
    Action.DISABLE: "disable",
    Action.DELETE: "delete",
    Action.STAGED_DELETE: "stagedDelete",
}


_V4_KEEP = ~((0xF << 76) | (0x3 << 62))
_V4_SET = (0x4 << 76) | (0x2 << 62)


def _record_id() -> str:
    """A random (version 4) UUID's 32 hex digits, as ``uuid.uuid4().hex`` gives them, without building a
    ``UUID`` (a Python constructor; a cycle logs a record per object)."""
    return f"{(int.from_bytes(os.urandom(16), 'big') & _V4_KEEP) | _V4_SET:032x}"


def log_record(
    ctx: LogContext,
    op: PlannedOperation,
    *,
    when: datetime,
    status: str,
    error: str | None = None,
    target_id: str | None = None,
    code: str | None = None,
) -> dict[str, Any]:
    """A compact log entry for ``op`` (status: success, failure, skipped, warning; ``target_id``: the id the
    target gave a create; ``code``: the error code of a failure or a held removal, else ``op.error``),
    stored as is and expanded to Graph's provisioningObjectSummary by :func:`summary` when read: writing
    stays cheap in big cycles."""
    record: dict[str, Any] = {
        "id": _record_id(),
        "activityDateTime": iso(when),  # (the cycle's one ``now``: formatted once)
        "cycleId": ctx.cycle_id,
        "job": ctx.job_id,
        "sp": ctx.service_principal,
        "src": ctx.source_system,
        "tgt": ctx.target_system,
        "provisioningAction": _ACTION.get(op.action, "other"),
        "status": status,
        "sourceId": op.source_id,
        "targetId": target_id or op.target_id,
        "sourceType": op.source_type,
        "targetType": op.object_type,
        "name": op.display_name,
        "changes": list(map(tuple, op.changes)),  # (name, old, new) as plain tuples: orjson writes them
        "reason": op.reason,
        "error": error,
        "code": code or op.error,
    }
    if op.detail:  # (most records have none: not stored)
        record["detail"] = op.detail
    if op.source_details:  # e.g. the bulkId of an inbound API record
        record["sourceDetails"] = dict(op.source_details)
    return record


def summary(entry: Mapping[str, Any], steps: Sequence[Mapping[str, Any]] = ()) -> dict[str, Any]:
    """The Graph provisioningObjectSummary of a compact log entry (spec §D.9)."""
    op = PlannedOperation(
        Action.STAGED_DELETE if entry["provisioningAction"] == "stagedDelete" else _action(entry),
        "",
        entry["targetType"],
        entry["sourceId"],
        entry["targetId"],
        tuple(AttributeChange(*c) for c in entry["changes"]),
        (),
        {},
        entry["reason"],
        entry["name"],
        entry["sourceType"],
        detail=entry.get("detail") or "",  # (records written before details have none)
    )
    status, error = entry["status"], entry["error"]
    code = entry.get("code") or _older_code(error or op.reason)
    return {
        "id": entry["id"],
        "activityDateTime": entry["activityDateTime"],
        "cycleId": entry["cycleId"],
        "changeId": entry["id"],
        "jobId": entry["job"],
        "tenantId": "local",
        "durationInMilliseconds": 0,
        "initiatedBy": {"id": "", "displayName": "idsync", "initiatorType": "system"},
        "servicePrincipal": {"id": entry["sp"], "displayName": entry["sp"]},
        "provisioningAction": entry["provisioningAction"],
        "sourceIdentity": {
            "id": op.source_id,
            "displayName": op.display_name,
            "identityType": op.source_type,
            "details": dict(entry.get("sourceDetails") or {}),
        },
        "targetIdentity": {
            "id": op.target_id,
            "displayName": op.display_name,
            "identityType": op.object_type,
            "details": {},
        },
        "sourceSystem": {"id": entry["src"], "displayName": entry["src"], "details": {}},
        "targetSystem": {"id": entry["tgt"], "displayName": entry["tgt"], "details": {}},
        "modifiedProperties": [
            {"displayName": c.name, "oldValue": _text(c.old), "newValue": _text(c.new)} for c in op.changes
        ],
        "provisioningSteps": list(steps) or default_steps(op, status, error),
        "provisioningStatusInfo": _status_info(op, status, error, code),
    }


def _action(entry: Mapping[str, Any]) -> Action:
    try:
        return Action(entry["provisioningAction"])
    except ValueError:
        return Action.SKIP if entry["status"] == "skipped" else Action.FAIL


def _older_code(reason: str) -> str:
    """The error code of a record written before records kept their code: the reason's leading word."""
    return reason.split(":", 1)[0]


def _status_info(op: PlannedOperation, status: str, error: str | None, code: str) -> dict[str, Any]:
    info: dict[str, Any] = {"status": status, "errorInformation": None}
    if status == "failure" or error:
        info["errorInformation"] = {
            "errorCode": code,
            "errorCategory": "failure",
            "reason": error or op.reason,
            "additionalDetails": None,
            "recommendedAction": _advice(code),
        }
    elif status == "skipped":
        info["errorInformation"] = {
            "errorCode": code if code in _CODES else op.reason,
            "errorCategory": "success",
            "reason": _with_detail(op),
            "additionalDetails": op.detail or None,
            "recommendedAction": None,
        }
    return info


def _with_detail(op: PlannedOperation) -> str:
    """``NotInScope: scoping filter clause department EQUALS 'Sales' is false (department is 'R&D')``."""
    return f"{op.reason}: {op.detail}" if op.detail else op.reason


def _advice(code: str) -> str:
    if code == Reason.MATCH_CONFLICT:
        return "Make the matching attribute unique in the target, or link the object by hand."
    if code == Reason.REQUIRED_MISSING:
        return "Give the attribute a value in the source or a default value in the attribute mapping."
    if code == Reason.TOO_MANY_DELETES:
        return "Check the removals; then restart the job with the ForceDeletes scope to apply them."
    return "Fix the value or the mapping; the object is retried in a later cycle."


_SKIPPED_IN_SCOPE = frozenset({Reason.ADD_NOT_ALLOWED, Reason.UPDATE_NOT_ALLOWED, Reason.IGNORED})
"""Skips of objects that passed scoping (the flow types or IgnoreObjectFlow decided)."""
_BEFORE_MATCH = frozenset({Reason.MATCH_CONFLICT, Reason.NO_MATCHING_VALUE})
"""Failures of the matching step."""
_BEFORE_EXPORT = frozenset({Reason.REQUIRED_MISSING, Reason.EVALUATION_FAILED})
"""Failures found while processing (the plan): no export step is shown."""


def default_steps(op: PlannedOperation, status: str, error: str | None) -> list[dict[str, Any]]:
    """The steps of a cycle record (spec §D.9): import, scoping, matching, processing, then export — or
    referenceResolution for the update that sets references after the objects exist."""
    imported = f"Retrieved {op.source_type} '{op.source_id}' from the source"
    steps = [step("EntryImport", "import", "success", imported)]
    if op.action is Action.SKIP:
        kind = "scoping"  # skipped by scope: the scoping step says so, and nothing says "Passed"
        if op.reason in _SKIPPED_IN_SCOPE:
            kind = "processing"
            steps.append(
                step(
                    "EntrySynchronizationScoping",
                    "scoping",
                    "success",
                    "In scope",
                    {"ScopeEvaluationResult": "Passed"},
                )
            )
        steps.append(
            step(
                "EntrySynchronizationSkip",
                kind,
                "skipped",
                f"Skipped: {_with_detail(op)}",
                {"SkipReason": op.reason, **({"ScopeClause": op.detail} if op.detail else {})},
            )
        )
        return steps
    in_scope = op.action not in (Action.DISABLE, Action.DELETE, Action.STAGED_DELETE)
    steps.append(
        step(
            "EntrySynchronizationScoping",
            "scoping",
            "success",
            "In scope" if in_scope else f"Leaving scope: {_with_detail(op)}",
            {"ScopeEvaluationResult": "Passed" if in_scope else op.reason},
        )
    )
    linked = op.target_id and op.action is not Action.CREATE  # a create's id is the new object's, not a match
    matched = f"linked to target object '{op.target_id}'" if linked else "no target object (new)"
    if op.action is Action.CREATE and op.reason:
        matched = op.reason  # what matching looked for: "no target object with userName = 'x'"
    if op.error in _BEFORE_MATCH:
        steps.append(step("EntryImportByMatch", "matching", "failure", error or op.reason))
        return steps  # nothing was processed nor exported
    steps.append(step("EntryImportByMatch", "matching", "success", f"Matching: {matched}"))
    if op.error in _BEFORE_EXPORT:
        steps.append(step("EntrySynchronizationAction", "processing", "failure", error or op.reason))
        return steps  # the failure is the processing's: nothing was exported
    changed = ", ".join(c.name for c in op.changes) or "none"
    steps.append(
        step(
            "EntrySynchronizationAction",
            "processing",
            "success",
            f"Action: {op.action.value}; changed attributes: {changed}",
        )
    )
    kind = "referenceResolution" if op.reason == Reason.REFERENCE_RESOLUTION else "export"
    if status == "failure":
        steps.append(step("EntryExportFailed", kind, "failure", error or op.reason))
    else:
        description = f"{op.action.value} {op.object_type} '{op.target_id or ''}'"
        steps.append(
            step(
                f"EntryExport{op.action.value[:1].upper()}{op.action.value[1:]}",
                kind,
                status,
                description,
                {"Reason": op.reason},
            )
        )
    return steps
