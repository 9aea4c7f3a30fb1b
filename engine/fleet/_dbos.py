"""The one module that imports DBOS Transact (import-linter: "DBOS only inside engine.fleet._dbos").

* ``run_worker``: an ``idsync worker`` process. DBOS is launched with the worker's executor id and the
  package version as ``application_version``, so a worker restarted with its id (on this host or another)
  recovers the cycles it was running when it died. The cycle queue (``QUEUE``) is registered with the
  worker concurrency and polling interval of the settings -- DBOS keeps one configuration per queue, so the
  last worker to start sets them for the fleet. A tick thread claims the due jobs (``WorkerHost.due``) and
  enqueues one cycle workflow each with ``deduplication_id = principal/job``: while a job's cycle is enqueued
  or running, no other is.
* The cycle workflow (``WORKFLOW``) runs the cycle as ONE step (``WorkerHost.run_cycle``), which takes the
  job's lease: a cycle recovered after a crash runs again from its start, and the engine's journals (intents,
  pending exports, the guard's staged removals) make a re-run safe. Never ``resume_workflow`` or
  ``fork_workflow`` a cycle: resuming a running one clears its deduplication id and lets a second cycle of
  the job start (the lease still fences it, but it is wasted work).
* ``DbosRunner``: the daemon's runner for ``idsync serve --runner dbos``: it enqueues (start, restart, a
  schema PUT trigger a cycle) and reads the schedule; the workers run.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from dbos import DBOS, DBOSClient, DBOSConfig, EnqueueOptions, Queue, SetEnqueueOptions
from dbos import error as dbos_error

from engine.daemon import Metrics
from engine.job import Job
from engine.scheduler import CycleFn, CycleOutcome, utcnow
from engine.state import Schedule, StateError, set_holder_label

from ._host import WorkerHost
from ._settings import FleetSettings

__all__ = ["QUEUE", "WORKFLOW", "DbosRunner", "run_worker"]

log = logging.getLogger("idsync.fleet")

APP_NAME = "idsync"
QUEUE = "idsync-cycles"
WORKFLOW = "idsync.cycle"

_host: WorkerHost | None = None
_queue: Queue | None = None


@DBOS.step(name="idsync.cycle.run")
def _cycle_step(key: str) -> dict[str, Any]:
    if _host is None:  # a workflow recovered before the host was set: never (set before launch)
        raise RuntimeError("the worker's jobs are not loaded")
    return _host.run_cycle(key)


@DBOS.workflow(name=WORKFLOW)
def _cycle_workflow(key: str) -> dict[str, Any]:
    return _cycle_step(key)


def _config(settings: FleetSettings) -> DBOSConfig:
    return {
        "name": APP_NAME,
        "system_database_url": settings.system_database,
        "executor_id": settings.executor_id,
        "application_version": settings.app_version,
        "sys_db_pool_size": 4,
        "log_level": "WARNING",
    }


def _enqueue(key: str) -> bool:
    """Enqueue a cycle of ``key`` (False: one is already enqueued or running)."""
    assert _queue is not None
    try:
        with SetEnqueueOptions(deduplication_id=key):
            _queue.enqueue(_cycle_workflow, key)
    except dbos_error.DBOSQueueDeduplicatedError:
        return False
    log.debug("cycle of %s enqueued", key)
    return True


def run_worker(
    jobs: Sequence[Job], settings: FleetSettings, stop: threading.Event, metrics: Metrics | None = None
) -> None:
    """Run ``jobs`` on this worker until ``stop`` is set; then running cycles commit their current batch and
    return, and DBOS shuts down. ``metrics``: recorded per cycle (served by the caller)."""
    global _host, _queue
    set_holder_label(settings.executor_id)
    host = WorkerHost(jobs, executor_id=settings.executor_id, metrics=metrics)
    _host = host
    try:
        DBOS(config=_config(settings))
        DBOS.launch()  # recovers this executor's cycles that a crash left running
        _queue = DBOS.register_queue(
            QUEUE,
            worker_concurrency=settings.concurrency,
            polling_interval_sec=settings.poll_interval,
            on_conflict="always_update",
        )
        log.info(
            "worker %s: %d jobs, %d cycles at once, polling every %ss",
            settings.executor_id,
            len(host.jobs),
            settings.concurrency,
            settings.poll_interval,
        )
        while not stop.wait(settings.tick_interval):
            try:
                host.tick(_enqueue)
            except Exception as exc:  # the database is away (a failover): the next tick tries again
                log.warning("worker %s: the tick failed: %s", settings.executor_id, exc)
    finally:
        host.stop.set()
        DBOS.destroy(workflow_completion_timeout_sec=30)
        host.close()
        _host = _queue = None


class DbosRunner:
    """The daemon's runner over a worker fleet: it enqueues cycles and reads the schedule; ``idsync worker``
    processes run them. ``urls`` maps each job key to its state database (where its schedule row lives)."""

    def __init__(self, settings: FleetSettings, urls: Mapping[str, str], *, clock: Any = utcnow) -> None:
        self.settings = settings
        self._clock = clock
        self._urls = dict(urls)
        self._schedules: dict[str, Schedule] = {}
        self._client: DBOSClient | None = None
        self._stop = threading.Event()

    @property
    def clock(self) -> Any:
        return self._clock

    def _schedule(self, key: str) -> Schedule:
        url = self._urls[key]
        if url not in self._schedules:
            self._schedules[url] = Schedule(url)
        return self._schedules[url]

    def start(self) -> None:
        self._client = DBOSClient(
            system_database_url=self.settings.system_database, application_name=APP_NAME, lazy=True
        )

    def shutdown(self) -> None:
        self._stop.set()
        if self._client is not None:
            self._client.destroy()
            self._client = None
        for schedule in self._schedules.values():
            schedule.close()
        self._schedules.clear()

    def add(
        self,
        job_id: str,
        interval: timedelta,
        cycle: CycleFn,
        *,
        paused: bool = False,
        first_run: datetime | None = None,
    ) -> None:
        if job_id not in self._urls:
            raise ValueError(f"job {job_id!r}: a fleet runs jobs from job files with a PostgreSQL state")
        first = None if first_run is None else int(first_run.timestamp() * 1000)
        self._schedule(job_id).ensure(job_id, interval.total_seconds(), first)

    def remove(self, job_id: str) -> None:
        self._urls.pop(job_id, None)

    def trigger(self, job_id: str) -> None:
        """A cycle now: enqueued for the workers; when one is enqueued or running already, another is due
        right after it (the schedule)."""
        if job_id not in self._urls:
            return
        options: EnqueueOptions = {
            "workflow_name": WORKFLOW,
            "queue_name": QUEUE,
            "deduplication_id": job_id,
            "app_version": self.settings.app_version,
        }
        try:
            if self._client is None:
                raise RuntimeError("the runner is not started")
            self._client.enqueue(options, job_id)
            return
        except dbos_error.DBOSQueueDeduplicatedError:
            pass
        except Exception as exc:  # no worker made the system database yet, or it is away: the schedule
            log.warning("cannot enqueue a cycle of %s now (%s); the next worker tick runs it", job_id, exc)
        try:
            self._schedule(job_id).trigger(job_id)
        except StateError as exc:
            log.warning("cannot trigger a cycle of %s: %s", job_id, exc)

    def next_run(self, job_id: str) -> datetime | None:
        if job_id not in self._urls:
            return None
        when = self._schedule(job_id).next_run(job_id)
        return None if when is None else datetime.fromtimestamp(when / 1000, UTC)

    def run_now(self, job_id: str) -> CycleOutcome | None:
        """Enqueued for a worker (never run in this process): None, as for a cycle already running."""
        self.trigger(job_id)
        return None

    def running_on(self, job_id: str) -> str | None:
        return self._schedule(job_id).running_on(job_id) if job_id in self._urls else None
