"""Cycle reports (Graph ``synchronizationTaskExecution`` plus counts per object type) and the job status
(Graph ``synchronizationStatus``), including quarantine (spec §C.4, §D.5, §D.6).

Quarantine decisions, scaled to the job (spec §D.6 gives Entra's absolute figures for big tenants):

* bad credentials → ``EncounteredQuarantineException`` at once; any other whole-cycle failure three
  cycles in a row → the same;
* object failures: evaluated from ``min(5000, max(10, events // 10))`` failures; quarantine when more than
  40 % of the cycle's events failed (``EncounteredEscrowProportionThreshold``) or more than 40,000 failed
  (``EncounteredTotalEscrowThreshold``);
* too many removals → ``TooManyDeletes`` (only a restart with ForceDeletes or QuarantineState lifts it);
* an *initial* cycle reaching an escrow threshold prunes its escrows instead and pauses the job
  (``escrowsPruned``), as Entra does, so a bad first configuration is fixed before anything is retried.

A successful cycle lifts any other quarantine.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from ..plan import Action

NEVER = "0001-01-01T00:00:00Z"
_FAILURE_STREAK = 3


@dataclass
class CycleReport:
    """What one cycle did. ``state``: Succeeded, EntryLevelErrors (some objects escrowed) or Failed."""

    id: str
    job_id: str
    full: bool
    began: datetime
    ended: datetime | None = None
    state: str = "Succeeded"
    counts: dict[str, Counter[str]] = field(default_factory=dict)
    """Target object type -> action -> number of objects."""
    imported: int = 0
    exported: int = 0
    escrowed: int = 0
    staged: int = 0
    error: str | None = None
    error_code: str | None = None
    quarantine: str | None = None
    stopped: bool = False
    incomplete: dict[str, str] = field(default_factory=dict)
    """Object mapping key -> why its source read was incomplete: no deletion by absence was found for it."""

    @property
    def succeeded(self) -> bool:
        return self.state != "Failed"

    def count(self, object_type: str, action: Action | str) -> None:
        counts = self.counts.get(object_type)
        if counts is None:
            counts = self.counts[object_type] = Counter()
        counts[action.value if isinstance(action, Action) else action] += 1

    def count_all(self, object_type: str, actions: Iterable[Action]) -> None:
        """Count a page's actions at once."""
        counts = self.counts.get(object_type)
        if counts is None:
            counts = self.counts[object_type] = Counter()
        counts.update(map(str, actions))  # (an Action is a str: its value, without the enum's property)

    def total(self, action: Action | str) -> int:
        key = action.value if isinstance(action, Action) else action
        return sum(c[key] for c in self.counts.values())

    def to_json(self) -> dict[str, Any]:
        """Graph's synchronizationTaskExecution, plus ``counts`` per object type and ``full``."""
        return {
            "id": self.id,
            "activityIdentifier": self.id,
            "jobId": self.job_id,
            "full": self.full,
            "state": self.state,
            "timeBegan": self.began.isoformat(),
            "timeEnded": self.ended.isoformat() if self.ended else None,
            "countImported": self.imported,
            "countImportedDeltas": 0 if self.full else self.imported,
            "countImportedReferenceDeltas": 0,
            "countEntitled": sum(sum(c.values()) for c in self.counts.values()),
            "countEntitledForProvisioning": sum(sum(c.values()) - c["skip"] for c in self.counts.values()),
            "countExported": self.exported,
            "countExports": self.exported + self.escrowed,
            "countEscrowed": self.escrowed,
            "countEscrowedRaw": self.escrowed,
            "countStaged": self.staged,
            "stopped": self.stopped,
            "error": None
            if self.error is None
            else {"code": self.error_code or "SyncError", "message": self.error, "tenantActionable": True},
            "counts": {name: dict(counter) for name, counter in self.counts.items()},
            "incompleteReads": dict(self.incomplete),
        }


def initial_status() -> dict[str, Any]:
    return {
        "code": "NotRun",
        "paused": False,
        "forceDeletes": False,
        "countSuccessiveCompleteFailures": 0,
        "escrowsPruned": False,
        "lastExecution": None,
        "lastSuccessfulExecution": None,
        "lastSuccessfulExecutionWithExports": None,
        "progress": [],
        "quarantine": None,
        "steadyStateFirstAchievedTime": NEVER,
        "steadyStateLastAchievedTime": NEVER,
        "synchronizedEntryCountByType": [],
        "troubleshootingUrl": None,
    }


def quarantine(status: dict[str, Any], reason: str, now: datetime, message: str) -> None:
    current = status.get("quarantine")
    if current and current.get("reason") == reason:
        current["seriesCount"] = int(current.get("seriesCount", 1)) + 1
        current["nextAttempt"] = (now + timedelta(days=1)).isoformat()
        return
    status["quarantine"] = {
        "currentBegan": now.isoformat(),
        "nextAttempt": (now + timedelta(days=1)).isoformat(),
        "reason": reason,
        "seriesBegan": (current or {}).get("seriesBegan", now.isoformat()),
        "seriesCount": 1,
        "error": {"code": reason, "message": message, "tenantActionable": True},
    }


def failure_quarantine(report: CycleReport, events: int) -> str | None:
    """The escrow-threshold quarantine reason the cycle's object failures call for, if any."""
    failures = report.escrowed
    if failures > 40_000:
        return "EncounteredTotalEscrowThreshold"
    if failures >= min(5000, max(10, events // 10)) and failures > 0.4 * max(events, 1):
        return "EncounteredEscrowProportionThreshold"
    return None


def apply_report(status: dict[str, Any], report: CycleReport, now: datetime, events: int) -> bool:
    """Fold a finished cycle into the job status (quarantine, counters, steady state). True when the
    cycle's escrows must be pruned: an initial cycle that reaches an escrow threshold prunes them instead
    of quarantining, and the job pauses for cleanup (spec §C.4 ``escrowsPruned``)."""
    pruned = False
    execution = report.to_json()
    status["lastExecution"] = execution
    current = (status.get("quarantine") or {}).get("reason")
    if not report.succeeded:
        status["countSuccessiveCompleteFailures"] = int(status.get("countSuccessiveCompleteFailures", 0)) + 1
        if (
            report.error_code == "AuthenticationFailed"
            or status["countSuccessiveCompleteFailures"] >= _FAILURE_STREAK
        ):
            quarantine(status, "EncounteredQuarantineException", now, report.error or "the cycle failed")
    else:
        status["countSuccessiveCompleteFailures"] = 0
        status["lastSuccessfulExecution"] = execution
        if report.exported:
            status["lastSuccessfulExecutionWithExports"] = execution
        reason = failure_quarantine(report, events)
        if reason and report.full:
            status["escrowsPruned"] = pruned = True
            status["paused"] = True
        elif reason:
            quarantine(
                status, reason, now, f"{report.escrowed} of {events} objects failed in cycle {report.id}"
            )
        elif current and current != "TooManyDeletes":
            status["quarantine"] = None
        if report.exported == 0 and report.escrowed == 0 and report.staged == 0:
            if status.get("steadyStateFirstAchievedTime", NEVER) == NEVER:
                status["steadyStateFirstAchievedTime"] = now.isoformat()
            status["steadyStateLastAchievedTime"] = now.isoformat()
    if report.quarantine:
        quarantine(status, report.quarantine, now, f"{report.staged} removals reached the deletion threshold")
    status["code"] = status_code(status)
    return pruned


def status_code(status: dict[str, Any]) -> str:
    if status.get("paused"):
        return "Paused"
    if status.get("quarantine"):
        return "Quarantine"
    if status.get("lastSuccessfulExecution") is None:
        return "NotRun"
    return "Active"
