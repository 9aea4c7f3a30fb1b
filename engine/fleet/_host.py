"""What a fleet worker runs, without DBOS: its jobs, their schedule rows, the tick that finds due jobs, and
one cycle of a job as the workflow's step runs it.

The cycle takes the job's lease (``SyncEngine.run_cycle``), waiting for a lease a dead worker left behind
to expire (``lease_wait``): a worker on another host cannot see that the holder's process is gone. Every
write of the cycle checks the lease's fencing epoch, so a worker that was frozen past its lease and resumes
finds itself ``Fenced`` and writes nothing more -- the one-writer guarantee is the engine's, not DBOS's.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from engine.daemon import Metrics, cycle_result, log_context, outcome_from_status, report_counts
from engine.job import Job
from engine.run import SyncEngine
from engine.scheduler import effective_interval
from engine.state import Schedule, StateError, now_ms

__all__ = ["JobEntry", "WorkerHost", "job_key"]

log = logging.getLogger("idsync.fleet")

_IDLE_CODES = frozenset({"Paused", "Disabled", "NotConfigured"})
_BUSY_RETRY = timedelta(seconds=5)


def job_key(job: Job) -> str:
    """The fleet's name for a job (and the deduplication id of its cycles): ``servicePrincipal/job``."""
    return f"{job.service_principal or 'local'}/{job.id}"


@dataclass
class JobEntry:
    job: Job
    engine: SyncEngine | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def key(self) -> str:
        return job_key(self.job)


class WorkerHost:
    """A worker's jobs (keyed ``principal/job``), their engines (opened on first use) and schedules."""

    def __init__(
        self,
        jobs: Sequence[Job],
        *,
        executor_id: str,
        engine_factory: Callable[[Job], SyncEngine] = SyncEngine,
        metrics: Metrics | None = None,
    ) -> None:
        self.executor_id = executor_id
        self.metrics = metrics
        """This worker's Prometheus metrics (``idsync worker --metrics-port``), or None."""
        self.stop = threading.Event()
        """Set on shutdown: running cycles commit their current batch and return."""
        self._factory = engine_factory
        self.jobs: dict[str, JobEntry] = {}
        for job in jobs:
            entry = JobEntry(job)
            if entry.key in self.jobs:
                raise ValueError(f"two job files define job {entry.key!r} (the second is {job.path})")
            self.jobs[entry.key] = entry
        self.schedules: dict[str, Schedule] = {}
        for entry in self.jobs.values():
            url = entry.job.state_url
            if url not in self.schedules:
                self.schedules[url] = Schedule(url)
            self.schedules[url].ensure(entry.key, entry.job.interval.total_seconds())

    def close(self) -> None:
        self.stop.set()
        for entry in self.jobs.values():
            with entry.lock:
                if entry.engine is not None:
                    entry.engine.close()
                    entry.engine = None
        for schedule in self.schedules.values():
            schedule.close()

    def schedule_of(self, key: str) -> Schedule:
        return self.schedules[self.jobs[key].job.state_url]

    def due(self) -> list[str]:
        """The jobs this tick claimed (due now; their slot moved on, so no other worker claims it)."""
        claimed: list[str] = []
        by_url: dict[str, list[str]] = {}
        for key, entry in self.jobs.items():
            by_url.setdefault(entry.job.state_url, []).append(key)
        for url, keys in sorted(by_url.items()):
            try:
                claimed.extend(self.schedules[url].claim_due(keys))
            except StateError as exc:  # the database is away: the next tick tries again
                log.warning("cannot read the schedule: %s", exc)
        return claimed

    def tick(self, enqueue: Callable[[str], bool]) -> list[str]:
        """Enqueue every due job (``enqueue`` returns False when the job's cycle is already enqueued or
        running: deduplicated); the keys enqueued."""
        return [key for key in self.due() if enqueue(key)]

    def _engine(self, entry: JobEntry) -> SyncEngine:
        if entry.engine is None:
            entry.engine = self._factory(entry.job)
        return entry.engine

    def run_cycle(self, key: str) -> dict[str, Any]:
        """One cycle of job ``key`` (the workflow's step): skipped when paused or not configured; the next
        run planned from the outcome (interval, quarantine back-off). Returns what the workflow records."""
        entry = self.jobs.get(key)
        if entry is None:
            return {"job": key, "state": "Skipped", "reason": f"job {key!r} is not one of this worker's jobs"}
        with log_context(job_id=entry.job.id), entry.lock:
            engine = self._engine(entry)
            schedule = self.schedule_of(key)
            code = engine.status().get("code")
            interval = entry.job.interval
            if code in _IDLE_CODES:
                self._plan(schedule.set_next, key, now_ms() + int(interval.total_seconds() * 1000))
                return {"job": key, "state": "Skipped", "reason": str(code)}
            self._plan(schedule.set_running, key, self.executor_id)
            began = time.monotonic()
            report = engine.run_cycle(stop=self.stop, wait=engine.lease_seconds + 2.0)
            result = {"job": key, "cycle": report.id, "state": report.state, "error": report.error_code}
            if self.metrics is not None and report.error_code not in ("JobBusy", "Fenced"):
                self._measure(entry.job.id, engine, report, time.monotonic() - began)
            if report.error_code == "Fenced":
                log.error("cycle %s: this worker lost the job to another; it wrote nothing more", report.id)
                return result
            if report.error_code == "JobBusy":
                after = _BUSY_RETRY
            else:
                outcome = outcome_from_status(engine.status())
                after = effective_interval(interval, outcome.quarantine_series)
            self._plan(schedule.set_running, key, None)
            self._plan(schedule.set_next, key, now_ms() + int(after.total_seconds() * 1000))
            log.info(
                "cycle %s: %s%s",
                report.id,
                report.state,
                f" ({report.error_code})" if report.error_code else "",
            )
            return result

    def _measure(self, job: str, engine: SyncEngine, report: Any, seconds: float) -> None:
        assert self.metrics is not None
        actions, errors = report_counts(report)
        status = engine.status()
        outcome = cycle_result(status, report.succeeded)
        self.metrics.record_cycle(
            job, succeeded=report.succeeded, seconds=seconds, actions=actions, errors=errors, outcome=outcome
        )
        self.metrics.set_job_state(
            job, escrows=int(status.get("escrowCount") or 0), quarantined=outcome == "quarantined"
        )

    @staticmethod
    def _plan(write: Callable[[str, Any], None], key: str, value: Any) -> None:
        """A schedule write that may fail (the database is away): the cycle's outcome stands; the job is
        then due again at its old time."""
        try:
            write(key, value)
        except StateError as exc:
            log.warning("cannot update the schedule of %s: %s", key, exc)

    def keys(self) -> Iterable[str]:
        return self.jobs.keys()
