"""The daemon: the configured jobs, their engines, the scheduler that cycles them, and their lifecycle.

Called by ``idsync serve`` and by the REST API's routers; it is the only place where API operations meet
running cycles, so the concurrency rules live here:

* The job's state (in its state database) is the single source of truth for Active / Paused: every
  scheduled tick reads it and skips the cycle of a paused job. Pause and start are requests in the job's
  control row (``engine.state._control``): ``idsync jobs pause`` run from another shell, or the API of another
  process, stops a running cycle after its batch and the next ticks; the API's ``start`` triggers a cycle.
* Everything that writes a job's state or target holds the job's lease (``SyncEngine.lease``), so another
  process's cycle makes restart, provisionOnDemand and a schema PUT fail with ``JobBusy`` (the API's 409).
  The runner is a port (``engine.scheduler.Runner``): the embedded ``Scheduler``, or a worker fleet's
  ``engine.fleet`` runner, for which this process only enqueues.
* One lock per job serialises everything that writes its state — cycles, start, pause, restart,
  provisionOnDemand — because an engine is not asked to be thread-safe. Reading the status takes no lock,
  so the status page and ``GET .../jobs/{id}`` answer while a long cycle runs.
* ``pause`` (API) also asks a running cycle to stop after its current batch (Graph: "pause, keeping all
  progress"); ``shutdown`` does so for every job, then waits.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from connectors import ConnectorError
from engine.scheduler import CycleOutcome, Runner, Scheduler, quarantine_expired
from engine.schema import dump_schema
from engine.state import StateStore
from engine.templates import get_template

from ._apijobs import NotBound, api_job, bind_api_job, target_directories
from ._facade import EngineLike, FacadeMissing, JobLike, load_job, make_bound_engine, make_engine, to_json
from ._home import ApiJobRecord, DaemonHome
from ._logging import log_context
from ._metrics import Metrics
from ._report import cycle_error, cycle_id_of, cycle_result, outcome_from_status, report_counts, status_field
from ._secrets import SecretStore
from ._unconfigured import UnconfiguredEngine, UnconfiguredJob, new_job_id

__all__ = ["Daemon", "JobNotFound", "ManagedJob"]

log = logging.getLogger("idsync.daemon")

#: Graph's status codes that mean "do not cycle" (the job keeps its state, nothing runs).
_IDLE_CODES = frozenset({"Paused", "Disabled", "NotConfigured"})


class JobNotFound(KeyError):
    def __init__(self, principal: str, job_id: str) -> None:
        super().__init__(job_id)
        self.principal = principal
        self.job_id = job_id

    def __str__(self) -> str:
        return f"no synchronization job {self.job_id!r} on service principal {self.principal!r}"


@dataclass
class ManagedJob:
    job: JobLike
    engine: EngineLike
    lock: threading.RLock = field(default_factory=threading.RLock)
    stop: threading.Event = field(default_factory=threading.Event)
    last_cycle_id: str | None = None
    progress: dict[str, Any] | None = None
    """Graph's synchronizationProgress of the running cycle, as the engine reports it; None between cycles."""

    @property
    def id(self) -> str:
        return self.job.id

    @property
    def principal(self) -> str:
        return self.job.service_principal or "local"

    @property
    def key(self) -> str:
        """The scheduler's name for the job: ids are unique per service principal only."""
        return f"{self.principal}/{self.id}"


class Daemon:
    def __init__(
        self,
        jobs: Iterable[JobLike],
        *,
        engine_factory: Callable[[JobLike], EngineLike] = make_engine,
        scheduler: Runner | None = None,
        metrics: Metrics | None = None,
        secrets: SecretStore | None = None,
        home: DaemonHome | None = None,
    ) -> None:
        self.scheduler: Runner = scheduler or Scheduler()
        self.metrics = metrics or Metrics()
        self.home = home
        """The daemon's own state (API-created jobs, encrypted secrets); None: they live in memory only."""
        self.secrets = secrets or SecretStore(home)
        self._engine_factory = engine_factory
        self._jobs: dict[tuple[str, str], ManagedJob] = {}
        self._api: dict[tuple[str, str], ApiJobRecord] = {}
        for job in jobs:
            self.add(job)
        for record in home.jobs() if home is not None else ():
            self._add_api_job(record)

    # -- registry -------------------------------------------------------------------------------------
    def add(self, job: JobLike) -> ManagedJob:
        """Manage ``job``; ``ValueError`` naming its file when its id is taken or its engine cannot start."""
        if (job.service_principal or "local", job.id) in self._jobs:
            raise ValueError(f"two job files define job {job.id!r} (the second is {job.path})")
        try:
            engine = self._engine_for(job)
            # the engine's job carries the schema replaced through the API, when there is one
            managed = ManagedJob(getattr(engine, "job", job), engine)
        except FacadeMissing:
            raise
        except Exception as exc:  # a schema the engine cannot compile, a state it cannot open: name the file
            raise ValueError(f"{job.path}: job {job.id!r} cannot start: {exc}") from exc
        self._jobs[(managed.principal, job.id)] = managed
        self.scheduler.add(managed.key, job.interval, lambda stop: self._cycle(managed))
        return managed

    def create_from_template(self, principal: str, template_id: str) -> ManagedJob:
        """Graph's create-job call: a NotConfigured job on the template's schema (see ``_unconfigured``);
        ``ValueError`` when there is no such template."""
        get_template(template_id)
        record = ApiJobRecord(principal, new_job_id(template_id), template_id)
        if self.home is not None:
            self.home.add_job(record)
        managed = self._add_api_job(record)
        with log_context(job_id=record.id):
            log.info("job created from template %s (%s)", template_id, managed.engine.status().get("code"))
        return managed

    def _add_api_job(self, record: ApiJobRecord) -> ManagedJob:
        template = get_template(record.template_id)
        self._api[(record.principal, record.id)] = record
        return self.add(UnconfiguredJob(record.id, record.principal, template.schema_, record.template_id))

    def api_record(self, managed: ManagedJob) -> ApiJobRecord | None:
        """The job's record when it was created through the API, else None (a job file's)."""
        return self._api.get((managed.principal, managed.id))

    def _engine_for(self, job: JobLike) -> EngineLike:
        record = self._api.get((job.service_principal or "local", job.id))
        if record is not None:
            return self._api_engine(record, job.schema)
        if isinstance(job, UnconfiguredJob):
            return UnconfiguredEngine(job)
        return self._engine_factory(job)

    def _api_engine(self, record: ApiJobRecord, schema: Any) -> EngineLike:
        """A running engine when every directory can be bound, else a NotConfigured one saying why."""
        unconfigured = UnconfiguredJob(record.id, record.principal, schema, record.template_id)
        if self.home is None:
            return UnconfiguredEngine(unconfigured)
        job = api_job(record, schema, self.home)
        try:
            connectors = bind_api_job(job, self.home, self.secrets.values(record.principal))
        except (NotBound, ConnectorError, ValueError) as exc:  # ValueError: a --directory ${ENV} unset
            return UnconfiguredEngine(unconfigured, reason=str(exc))
        return make_bound_engine(job, connectors)

    def replace_secrets(self, principal: str, pairs: Iterable[tuple[str, str]]) -> None:
        """Graph's PUT secrets; the principal's API jobs are bound again with them (a job that becomes
        configured waits for ``start``, as in Entra). ``SecretKeyMissing`` when they cannot be stored."""
        self.secrets.replace(principal, pairs)
        count = len(self.secrets.keys(principal))
        log.info("secrets of service principal %s replaced (%d keys)", principal, count)
        for managed in self.jobs(principal):
            record = self.api_record(managed)
            if record is not None:
                self._swap_engine(managed, self._api_engine(record, managed.job.schema))

    def _swap_engine(self, managed: ManagedJob, engine: EngineLike) -> None:
        managed.stop.set()
        with log_context(job_id=managed.id), managed.lock:
            managed.engine.close()
            managed.engine = engine
            managed.job = cast(JobLike, getattr(engine, "job", managed.job))
            log.info("connectors bound again: %s", engine.status().get("code"))
        managed.stop.clear()

    def validate_template_credentials(
        self, principal: str, template_id: str, credentials: Mapping[str, str] | None
    ) -> None:
        """Graph's collection-level validateCredentials: the template's target directory, bound with
        ``credentials`` (None: the principal's saved secrets), is asked whether it answers."""
        schema = get_template(template_id).schema_
        if self.home is None or schema is None:
            raise ValueError("this daemon has no state folder for jobs created through the API (--state-dir)")
        record = ApiJobRecord(principal, "validateCredentials", template_id)
        job = api_job(record, schema, self.home)
        secrets = self.secrets.values(principal) if credentials is None else credentials
        try:
            connectors = bind_api_job(job, self.home, secrets)
        except NotBound as exc:
            raise ValueError(str(exc)) from exc
        try:
            for name in sorted(target_directories(schema)):
                connectors[name].validate_credentials()
        finally:
            for connector in connectors.values():
                connector.close()

    def run_now(self, managed: ManagedJob) -> CycleOutcome | None:
        """One cycle on the calling thread, under the same rules as a scheduled one."""
        return self.scheduler.run_now(managed.key)

    def principals(self) -> set[str]:
        return {principal for principal, _ in self._jobs} or {"local"}

    def jobs(self, principal: str | None = None) -> list[ManagedJob]:
        return [m for (p, _), m in sorted(self._jobs.items()) if principal in (None, p)]

    def get(self, principal: str, job_id: str) -> ManagedJob:
        try:
            return self._jobs[(principal, job_id)]
        except KeyError:
            raise JobNotFound(principal, job_id) from None

    def remove(self, managed: ManagedJob) -> None:
        """Stop and forget a job (Graph DELETE); its state database is left to the engine."""
        managed.stop.set()
        self.scheduler.remove(managed.key)
        with managed.lock:
            managed.engine.close()
        self._jobs.pop((managed.principal, managed.id), None)
        if self._api.pop((managed.principal, managed.id), None) is not None and self.home is not None:
            self.home.remove_job(managed.principal, managed.id)
        self.metrics.forget(managed.id)

    # -- process lifecycle ----------------------------------------------------------------------------
    def start(self) -> None:
        self.scheduler.start()

    def shutdown(self) -> None:
        for managed in self._jobs.values():
            managed.stop.set()
        self.scheduler.shutdown()
        for managed in self._jobs.values():
            with managed.lock:
                managed.engine.close()

    # -- job lifecycle (Graph actions) -----------------------------------------------------------------
    def status(self, managed: ManagedJob) -> dict[str, Any]:
        """The job's synchronizationStatus; during a cycle its ``progress`` is the cycle's live progress
        (the state only learns it when the cycle commits its end)."""
        data = to_json(managed.engine.status())
        status = dict(data) if isinstance(data, Mapping) else {}
        running = managed.progress
        if running is not None:
            status["progress"] = [running]
        quarantine = status.get("quarantine")
        next_run = self.scheduler.next_run(managed.key) if isinstance(quarantine, Mapping) else None
        if isinstance(quarantine, Mapping) and next_run is not None:
            # the engine assumes Entra's daily retry; the daemon's scheduler knows the real next attempt
            status["quarantine"] = {**quarantine, "nextAttempt": next_run.isoformat().replace("+00:00", "Z")}
        return status

    def start_job(self, managed: ManagedJob) -> None:
        with log_context(job_id=managed.id), managed.lock:
            managed.engine.start()
            record = self.api_record(managed)
            if record is not None and not record.started:
                self._api[(record.principal, record.id)] = dataclasses.replace(record, started=True)
                if self.home is not None:
                    self.home.set_started(record.principal, record.id)
            log.info("job started")
        managed.stop.clear()
        self.scheduler.trigger(managed.key)

    def pause_job(self, managed: ManagedJob) -> None:
        managed.stop.set()  # the running cycle commits its current batch and returns
        with log_context(job_id=managed.id), managed.lock:
            managed.engine.pause()
            log.info("job paused")
        managed.stop.clear()

    def restart_job(self, managed: ManagedJob, scopes: set[str]) -> None:
        with log_context(job_id=managed.id), managed.lock:
            managed.engine.restart(scopes)
            log.info("job restarted with reset scope %s", ",".join(sorted(scopes)) or "(default)")
        self.scheduler.trigger(managed.key)

    def provision_on_demand(self, managed: ManagedJob, object_id: str, object_type: str | None) -> Any:
        with log_context(job_id=managed.id), managed.lock:
            return managed.engine.provision_on_demand(object_id, object_type)

    def explain(self, managed: ManagedJob, object_id: str, object_type: str | None) -> Any:
        """What a cycle would do with one source object, step by step (reads, writes nothing)."""
        explain = getattr(managed.engine, "explain", None)
        if not callable(explain):
            raise FacadeMissing("this job's engine cannot explain an object")
        with log_context(job_id=managed.id), managed.lock:
            return explain(object_id, object_type)

    def validate_credentials(self, managed: ManagedJob) -> Any:
        with log_context(job_id=managed.id), managed.lock:
            return managed.engine.validate_credentials()

    # -- schema ---------------------------------------------------------------------------------------------
    def replace_schema(self, managed: ManagedJob, schema: Any) -> None:
        """Swap the job's schema and resync everything (Entra: a schema update triggers a full resync).

        The links are kept (a resync re-evaluates every object, it does not re-match), so this is the
        Watermark reset scope, not Full. The job file on disk is not rewritten. ``ValueError`` (nothing
        changed) when the schema uses a directory the job file binds no connector to, or does not compile.
        """
        bound = getattr(managed.job, "directories", None) or {}
        used = {
            name
            for rule in schema.synchronization_rules
            for name in (rule.source_directory_name, rule.target_directory_name)
            if name
        }
        if bound and used - set(bound):
            raise ValueError(
                f"the schema uses directories with no connector in {managed.job.path}: "
                f"{', '.join(sorted(used - set(bound)))} (bound: {', '.join(sorted(bound))})"
            )
        job = dataclasses.replace(cast(Any, managed.job), schema=schema)
        self._swap_schema(managed, dump_schema(schema), job)

    def reset_schema(self, managed: ManagedJob) -> None:
        """Graph's DELETE schema: back to the template's schema, or to what the job file says."""
        job = managed.job
        record = self.api_record(managed)
        if record is not None:
            template = get_template(record.template_id)
            self._swap_schema(managed, None, dataclasses.replace(cast(Any, job), schema=template.schema_))
        elif isinstance(job, UnconfiguredJob):
            template = get_template(job.template_id)
            self._rebind(managed, dataclasses.replace(job, schema=template.schema_))
        else:
            self._swap_schema(managed, None, load_job(job.path))

    def _swap_schema(self, managed: ManagedJob, document: dict[str, Any] | None, job: JobLike) -> None:
        """Persist the job's API schema (None: none) in its state, so that it outlives the daemon and every
        process runs it, and reset the watermarks for the full resync -- both under the job's lease, so a
        cycle running anywhere is never handed a schema half-way (``JobBusy`` while another process holds
        it: nothing changed). The previous schema is put back when the new engine cannot be built."""
        store = getattr(managed.engine, "store", None)
        lease = getattr(managed.engine, "lease", None)
        if not isinstance(store, StateStore) or not callable(lease):  # a NotConfigured job: in memory only
            self._rebind(managed, job)
            return
        managed.stop.set()  # an in-process cycle commits its current batch and returns the lease
        try:
            with log_context(job_id=managed.id), lease():
                previous = store.stored_schema()
                store.store_schema(document, self.scheduler.clock())
                try:
                    engine = self._engine_for(job)
                except Exception as exc:
                    store.store_schema(*(previous or (None, self.scheduler.clock())))
                    raise ValueError(f"the schema cannot run: {exc}") from exc
                if not isinstance(engine, UnconfiguredEngine):
                    managed.engine.restart({"Watermark"})
                    log.info("schema replaced; a full resync follows")
        finally:
            managed.stop.clear()
        self._install(managed, job, engine)

    def _rebind(self, managed: ManagedJob, job: JobLike) -> None:
        try:
            engine = self._engine_for(job)  # built first: a schema that does not compile changes nothing
        except Exception as exc:
            raise ValueError(f"the schema cannot run: {exc}") from exc
        if not isinstance(engine, UnconfiguredEngine):
            engine.restart({"Watermark"})
            log.info("schema replaced; a full resync follows")
        self._install(managed, job, engine)

    def _install(self, managed: ManagedJob, job: JobLike, engine: EngineLike) -> None:
        managed.stop.set()
        with log_context(job_id=managed.id), managed.lock:
            managed.engine.close()
            managed.job, managed.engine = job, engine
        managed.stop.clear()
        self.scheduler.trigger(managed.key)

    def discover(self, managed: ManagedJob, directory_name: str) -> dict[str, Any]:
        """Graph's directory discover: the directory as its connector describes it now.

        Decision: the definition is returned, not written into the job's schema — replacing the schema
        would trigger a full resync, which a look at the directory should not do; PUT the schema for that.
        """
        connectors = getattr(managed.engine, "connectors", None)
        if not isinstance(connectors, Mapping):
            raise FacadeMissing("this job's engine has no connectors to discover (not configured)")
        with log_context(job_id=managed.id), managed.lock:
            described = dict(connectors[directory_name].describe())
        described.setdefault("name", directory_name)
        described["discoveryDateTime"] = self.scheduler.clock().isoformat().replace("+00:00", "Z")
        return described

    # -- the scheduled cycle ---------------------------------------------------------------------------
    def _cycle(self, managed: ManagedJob) -> CycleOutcome:
        with log_context(job_id=managed.id), managed.lock:
            before = self.status(managed)
            record = self.api_record(managed)
            if before.get("code") in _IDLE_CODES or (record is not None and not record.started):
                return CycleOutcome(succeeded=True)
            self.metrics.running.labels(managed.id).set(1)
            began, raised = time.monotonic(), False
            try:
                report = managed.engine.run_cycle(stop=managed.stop, progress=self._progress_of(managed))
            except Exception as exc:
                # A cycle that raises is a failed cycle of this job; the daemon and its other jobs go on.
                log.exception("the cycle failed")
                error = {"code": "cycleFailure", "message": f"{type(exc).__name__}: {exc}"}
                report, raised = {"state": "Failed", "error": error}, True
            finally:
                self.metrics.running.labels(managed.id).set(0)
                managed.progress = None
            return self._after_cycle(managed, report, time.monotonic() - began, raised=raised)

    def _progress_of(self, managed: ManagedJob) -> Callable[[str, int, int | None], None]:
        def report(phase: str, done: int, total: int | None) -> None:
            managed.progress = {
                "completedUnits": done,
                "totalUnits": total if total is not None else done,
                "units": phase,
                "progressObservationDateTime": self.scheduler.clock().isoformat().replace("+00:00", "Z"),
            }

        return report

    def _quarantine_too_long(self, status: Mapping[str, Any]) -> bool:
        began = status_field(status, "quarantine", "seriesBegan")
        try:
            since = datetime.fromisoformat(str(began).replace("Z", "+00:00")) if began else None
        except ValueError:
            return False
        return quarantine_expired(since, self.scheduler.clock())

    def _after_cycle(self, managed: ManagedJob, report: Any, seconds: float, *, raised: bool) -> CycleOutcome:
        status = self.status(managed)
        outcome = outcome_from_status(status)
        if raised:
            outcome = CycleOutcome(succeeded=False, quarantine_series=outcome.quarantine_series)
        if outcome.quarantine_series and self._quarantine_too_long(status):
            # Entra disables a job after four weeks in quarantine; idsync pauses it (its state keeps
            # everything) and says so, and a start or restart resumes it.
            managed.engine.pause()
            log.warning(
                "in quarantine since %s (4 weeks): the job is paused until started again",
                status_field(status, "quarantine", "seriesBegan"),
            )
        managed.last_cycle_id = cycle_id_of(report) or managed.last_cycle_id
        actions, errors = report_counts(report)
        result = cycle_result(status, outcome.succeeded)
        self.metrics.record_cycle(
            managed.id,
            succeeded=outcome.succeeded,
            seconds=seconds,
            actions=actions,
            errors=errors,
            outcome=result,
        )
        escrows = status.get("escrowCount", status_field(status, "lastExecution", "countEscrowed")) or 0
        self.metrics.set_job_state(
            managed.id, escrows=int(escrows), quarantined=outcome.quarantine_series > 0
        )
        error = cycle_error(report, status)
        fields = {
            "outcome": result,
            "code": status.get("code"),
            "durationSeconds": round(seconds, 3),
            "actions": actions,
            "errors": {kind: n for kind, n in errors.items() if n},
            "quarantineReason": status_field(status, "quarantine", "reason"),
            "error": error,
        }
        with log_context(cycle_id=managed.last_cycle_id):
            log.log(
                logging.INFO if result == "succeeded" else logging.WARNING,
                "cycle finished in %.3fs: %s (%s): %s%s",
                seconds,
                result,
                status.get("code"),
                " ".join(f"{k}={v}" for k, v in sorted(actions.items()) if v) or "no changes",
                f"; {error['code']}: {error['message']}" if error else "",
                extra={"fields": {k: v for k, v in fields.items() if v not in (None, {})}},
            )
        return outcome
