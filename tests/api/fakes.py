"""An in-memory stand-in for ``engine.SyncEngine`` for the API's fast unit tests.

It records the calls it gets and answers in the engine facade's shapes (a Graph synchronizationStatus dict,
provisioningObjectSummary records); the real engine is exercised by the HTTP tests in tests/daemon.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from connectors import AuthenticationFailed
from engine import SynchronizationSchema


@dataclass(frozen=True)
class FakeJob:
    id: str
    service_principal: str = "local"
    interval: timedelta = timedelta(days=365)
    path: Path = Path("/nonexistent/job.yaml")
    schema: Any = field(default_factory=lambda: SynchronizationSchema.model_validate({"id": "s1"}))
    settings: dict[str, Any] = field(default_factory=lambda: {"deleteThreshold": 500})
    template_id: str | None = None


def log_record(job_id: str, cycle_id: str, n: int, when: datetime) -> dict[str, Any]:
    return {
        "id": f"{job_id}-{cycle_id}-{n}",
        "jobId": job_id,
        "cycleId": cycle_id,
        "activityDateTime": when.isoformat().replace("+00:00", "Z"),
        "provisioningAction": "create",
        "sourceIdentity": {"id": f"u{n}", "displayName": f"User {n}"},
        "provisioningStatusInfo": {"status": "success"},
    }


class FakeEngine:
    def __init__(self, job: FakeJob) -> None:
        self.job = job
        self.calls: list[tuple[Any, ...]] = []
        self.code = "NotRun"
        self.records: list[dict[str, Any]] = []
        self.cycle_started = threading.Event()
        self.release = threading.Event()
        self.release.set()
        self.fail_with: Exception | None = None
        self.bad_credentials = False
        self.series_began = "2030-05-30T00:00:00+00:00"

    def run_cycle(
        self,
        *,
        full: bool = False,
        now: Any = None,
        progress: Any = None,
        stop: threading.Event | None = None,
    ) -> Any:
        if progress is not None:
            progress("User → urn:ietf:params:scim:schemas:core:2.0:User", 40, 200)
        self.cycle_started.set()
        deadline = time.monotonic() + 10
        # Stands for a cycle of batches: it ends when released, or after its "batch" once asked to stop.
        while not self.release.is_set() and not (stop and stop.is_set()) and time.monotonic() < deadline:
            time.sleep(0.01)
        if self.fail_with is not None:
            raise self.fail_with
        self.calls.append(("run_cycle", stop.is_set() if stop else None))
        if self.code not in ("Quarantine",):
            self.code = "Active"
        # The shape of engine.run.CycleReport.to_json(), trimmed to what the daemon reads.
        return {
            "id": "c1",
            "state": "Succeeded",
            "counts": {"User": {"create": 2, "update": 1}, "Group": {"create": 1}},
            "countEscrowed": 1,
            "error": None,
        }

    def status(self) -> dict[str, Any]:
        status: dict[str, Any] = {
            "code": self.code,
            "countSuccessiveCompleteFailures": 0,
            "lastExecution": {"state": "Succeeded", "countEscrowed": 1, "countImported": 3},
        }
        if self.code == "Quarantine":
            status["quarantine"] = {
                "reason": "TooManyDeletes",
                "seriesCount": 2,
                "seriesBegan": self.series_began,
            }
        return status

    def start(self) -> None:
        self.calls.append(("start",))
        self.code = "Active"

    def pause(self) -> None:
        self.calls.append(("pause",))
        self.code = "Paused"

    def restart(self, scopes: set[str]) -> None:
        self.calls.append(("restart", frozenset(scopes)))

    def provision_on_demand(self, object_id: str, object_type: str | None = None) -> dict[str, Any]:
        self.calls.append(("provision_on_demand", object_id, object_type))
        if object_id != "u1":
            raise KeyError(f"the source holds no object {object_id!r}")
        record = log_record(self.job.id, "ondemand", 1, datetime(2026, 1, 1, tzinfo=UTC))
        return record

    def validate_credentials(self) -> None:
        self.calls.append(("validate_credentials",))
        if self.bad_credentials:
            raise AuthenticationFailed("SCIM App: 401 Unauthorized (check SecretToken)")

    def logs(
        self, *, cycle_id: str | None = None, since: int = 0, limit: int = 100, newest_first: bool = False
    ) -> list[dict[str, Any]]:
        """Records only, as ``SyncEngine.logs`` returns them (no ``store``: the daemon reads one page)."""
        records = [r for r in self.records if cycle_id is None or r["cycleId"] == cycle_id]
        return (records[::-1] if newest_first else records)[:limit]

    def close(self) -> None:
        self.calls.append(("close",))
