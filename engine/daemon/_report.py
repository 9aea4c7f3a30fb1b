"""What the daemon reads from the engine's answers: a Graph synchronizationStatus and a CycleReport.

Pure functions of values, so the scheduling and metrics decisions built on them are tested without an engine.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from engine.scheduler import CycleOutcome

from ._facade import to_json

__all__ = [
    "cycle_error",
    "cycle_id_of",
    "cycle_result",
    "outcome_from_status",
    "report_counts",
    "status_field",
]


def status_field(data: Mapping[str, Any] | None, *names: str) -> Any:
    value: Any = data
    for name in names:
        value = value.get(name) if isinstance(value, Mapping) else None
    return value


def outcome_from_status(status: Mapping[str, Any]) -> CycleOutcome:
    """What the scheduler needs from a Graph synchronizationStatus after a cycle."""
    quarantined = status.get("code") == "Quarantine"
    series = status_field(status, "quarantine", "seriesCount") or (1 if quarantined else 0)
    state = status_field(status, "lastExecution", "state")
    return CycleOutcome(
        succeeded=state in (None, "Succeeded", "EntryLevelErrors") and not quarantined,
        quarantine_series=int(series) if quarantined else 0,
    )


def cycle_result(status: Mapping[str, Any], succeeded: bool) -> str:
    """The one word the log line and the ``idsync_cycles`` metric give a finished cycle: ``quarantined``
    whenever the job's status says Quarantine after it (whatever the cycle's own execution state), else
    ``succeeded`` or ``failed``. The status page shows the same (its code, with the quarantine's cause)."""
    if status.get("code") == "Quarantine":
        return "quarantined"
    return "succeeded" if succeeded else "failed"


def cycle_error(report: Any, status: Mapping[str, Any]) -> dict[str, str] | None:
    """The cycle's error ``{code, message}``: the report's own, else the quarantine's cause."""
    data = to_json(report)
    found = data.get("error") if isinstance(data, Mapping) else None
    if not isinstance(found, Mapping):
        found = status_field(status, "quarantine", "error")
    if not isinstance(found, Mapping):
        return None
    return {"code": str(found.get("code") or "SyncError"), "message": str(found.get("message") or "")}


def cycle_id_of(report: Any) -> str | None:
    found = getattr(report, "id", None) or getattr(report, "cycle_id", None)
    if found is None and isinstance(report, Mapping):
        found = report.get("id") or report.get("cycleId")
    return None if found is None else str(found)


def report_counts(report: Any) -> tuple[dict[str, int], dict[str, int]]:
    """Objects by action (summed over object types) and errors by kind, from a CycleReport.

    The report's JSON (Graph's synchronizationTaskExecution plus ``counts``: object type -> action -> n)
    gives the actions; errors are the escrowed objects (kind ``escrow``) and, for a failed cycle, its error
    code (e.g. ``AuthenticationFailed``).
    """
    data = to_json(report)
    if not isinstance(data, Mapping):
        return {}, {}
    actions: dict[str, int] = {}
    for per_type in (data.get("counts") or {}).values():
        for action, count in (per_type or {}).items():
            actions[str(action)] = actions.get(str(action), 0) + int(count)
    errors: dict[str, int] = {"escrow": int(data.get("countEscrowed") or 0)}
    if data.get("state") == "Failed":
        code = (data.get("error") or {}).get("code") or "cycleFailure"
        errors[str(code)] = errors.get(str(code), 0) + 1
    return actions, errors
