"""``SyncEngine``: the facade the CLI and the daemon use for one job.

Thread-safety: cycles, on-demand provisioning and restarts of one engine are serialised by a lock; status
and log reads go straight to the state database (SQLite in WAL mode lets them run during a cycle).
``run_cycle`` runs even when the job is paused (an explicit request); the scheduler checks ``status()``.

One writer per job across processes: every method that writes the job's state or target holds the job's
lease (``lease``, ``engine.state._lease``) while it does. A cycle that finds the lease held elsewhere does
nothing and reports ``JobBusy``; one whose lease was taken over stops at its next write and reports
``Fenced``, writing nothing more (not even its report). The other writers raise ``JobBusy`` /
``Fenced`` (both ``StateError``).

Operator controls (pause, start's quarantine lift, a ``ForceDeletes`` restart's force, a stop request) are
requests recorded in the job's control row (``engine.state._control``) by any process without the lease; a
cycle only reads them -- at its start, and while it runs to stop after its current batch when paused -- and
the status it writes back says which requests it acted on (``merge_control``), so a pause made by another
process during a cycle is never lost. A schema replaced through the API by another process is picked up by
the next cycle (``_refresh_schema``).
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import logging
import os
import threading
import time
import uuid
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, cast, overload

import expressions
from connectors import Connector, ConnectorError

from ..job import Job, JobFileError, bind_connectors
from ..plan import CompiledMapping, compile_rules
from ..state import DEFAULT_LEASE_SECONDS, Batch, Control, Fenced, JobBusy, StateStore
from ._context import CycleContext, Progress
from ._driver import Driver
from ._explain import explain_object, on_demand
from ._plan import Plan, PlanStream
from ._preview import PreviewSink
from ._records import summary
from ._report import CycleReport, apply_report, initial_status, status_code
from ._sinks import ApplySink

_log = logging.getLogger("idsync.engine")


def schema_fingerprint(job: Job) -> str:
    """A digest of the job's schema: a changed mapping or scoping filter changes it."""
    from .. import dump_schema

    text = json.dumps(dump_schema(job.schema), sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def _fenced(report: CycleReport, exc: Fenced) -> bool:
    """Record in ``report`` that the cycle lost the job (it is recorded nowhere else)."""
    report.state, report.error, report.error_code = "Failed", str(exc), Fenced.__name__
    return True


RESET_SCOPES = frozenset(
    {"Watermark", "Escrows", "QuarantineState", "Full", "ForceDeletes", "ConnectorDataStore"}
)
_DEFAULT_RESTART = frozenset({"Watermark", "Escrows", "QuarantineState"})
LEASE_SECONDS_ENV = "IDSYNC_LEASE_SECONDS"
"""Overrides the lease's time to live (seconds) when the engine is not given one (tests, slow targets)."""


CONTROL_POLL_ENV = "IDSYNC_CONTROL_POLL_SECONDS"
"""How often a running cycle reads its job's control row for a pause or stop request (default 1 s)."""
_MEMORY_URLS = frozenset({"sqlite://", "sqlite:///:memory:"})


def merge_control(status: Mapping[str, Any], control: Control) -> dict[str, Any]:
    """The job status as the operator's controls make it: paused by the control row (or by a cycle's own
    pause, e.g. after pruning escrows, while no operator acted since that cycle began), the quarantine lifted
    by a start not yet acted on, deletions forced by a restart not yet acted on. ``controlSeq`` records
    which requests the status has seen."""
    merged = dict(status)
    own_pause = bool(status.get("paused")) and int(status.get("controlSeq", 0)) >= control.seq
    merged["paused"] = control.paused or own_pause
    if control.lift_seq > int(status.get("liftSeen", 0)):
        merged["quarantine"] = None
        merged["liftSeen"] = control.lift_seq
    if control.force_seq > int(status.get("forceDeletesSeen", 0)):
        merged["forceDeletes"] = True
    merged["controlSeq"] = control.seq
    return merged


class _Either(threading.Event):
    """Set when it is, or when ``outer`` is (seen at once: a cycle stops where its caller asked)."""

    def __init__(self, outer: threading.Event | None) -> None:
        super().__init__()
        self._outer = outer

    def is_set(self) -> bool:
        return super().is_set() or (self._outer is not None and self._outer.is_set())


_CONTROL_SEEN = ("controlSeq", "liftSeen", "forceDeletesSeen")


def _poll_seconds() -> float:
    try:
        return max(0.05, float(os.environ.get(CONTROL_POLL_ENV, "") or 1.0))
    except ValueError:
        return 1.0


def _lease_seconds(given: float | None) -> float:
    if given is not None:
        return given
    text = os.environ.get(LEASE_SECONDS_ENV)
    try:
        return float(text) if text else DEFAULT_LEASE_SECONDS
    except ValueError:
        return DEFAULT_LEASE_SECONDS


class SyncEngine:
    """Runs one job: cycles, dry-runs, explain, on-demand provisioning, status and restart."""

    def __init__(
        self,
        job: Job,
        *,
        connectors: Mapping[str, Connector] | None = None,
        store: StateStore | None = None,
        connector_options: Mapping[str, Mapping[str, Any]] | None = None,
        lease_seconds: float | None = None,
    ) -> None:
        self.lease_seconds = _lease_seconds(lease_seconds)
        """The time to live of the job's lease; renewed while held (``engine.state._lease``)."""
        self._leases = 0  # depth of nested ``lease`` blocks (under ``_lock``)
        self.store = store or StateStore(job.state_url, job.id, parallel_reads=job.state_parallel_reads)
        self.schema_replaced: datetime | None = None
        """When the schema was replaced through the API (Graph's PUT .../schema); None: the job file's."""
        self._file_job = job
        stored = self.store.stored_schema()
        if stored is not None:
            # As in Entra, a schema PUT is the job's schema from then on, for every command, until DELETE
            # .../schema goes back to the job file's (or the template's).
            from .. import load_schema

            job = dataclasses.replace(job, schema=load_schema(stored[0]))
            self.schema_replaced = stored[1]
            _log.warning(
                "job %s: running the schema replaced through the API at %s, not the one in %s "
                "(DELETE .../schema goes back to it)",
                job.id,
                stored[1].isoformat(),
                job.path,
            )
        self.job = job
        self.mappings: list[CompiledMapping] = compile_rules(job.schema)
        self._connectors: dict[str, Connector] | None = dict(connectors) if connectors is not None else None
        self._options = connector_options
        self._lock = threading.RLock()
        self._fingerprint = schema_fingerprint(job)
        self.sleep = time.sleep

    def _refresh_schema(self) -> None:
        """Run the schema the state holds now: another process (the API's) may have replaced it, or gone
        back to the job file's, since this engine was built."""
        stored = self.store.stored_schema()
        replaced = stored[1] if stored is not None else None
        if replaced == self.schema_replaced:
            return
        from .. import load_schema

        job = self._file_job
        if stored is not None:
            job = dataclasses.replace(job, schema=load_schema(stored[0]))
        self.job, self.mappings = job, compile_rules(job.schema)
        self._fingerprint, self.schema_replaced = schema_fingerprint(job), replaced
        _log.warning("job %s: the schema was replaced through the API; this engine now runs it", job.id)

    @contextlib.contextmanager
    def _watch(self, stop: threading.Event | None) -> Iterator[threading.Event | None]:
        """The cycle's stop event: set when ``stop`` is, or when an operator pauses the job or asks its
        cycle to stop from any process (the control row, read every ``IDSYNC_CONTROL_POLL_SECONDS``)."""
        if self.store.url in _MEMORY_URLS:
            yield stop
            return
        watched, done = _Either(stop), threading.Event()
        baseline = self.store.control()
        interval = _poll_seconds()

        def poll() -> None:
            while not done.wait(interval):
                try:
                    now = self.store.control()
                except Exception:  # a busy database: look again at the next poll
                    continue
                if now.stop_seq > baseline.stop_seq or (now.paused and not baseline.paused):
                    _log.info("job %s: an operator asked the cycle to stop after its batch", self.job.id)
                    watched.set()
                    return

        thread = threading.Thread(target=poll, name=f"control-{self.job.id}", daemon=True)
        thread.start()
        try:
            yield watched
        finally:
            done.set()
            thread.join()

    @property
    def connectors(self) -> dict[str, Connector]:
        """The bound connectors (bound on first use; ``${ENV}`` secrets resolved then)."""
        if self._connectors is None:
            self._connectors = bind_connectors(self.job, self._options)
        return self._connectors

    def _context(
        self,
        now: datetime,
        progress: Progress | None = None,
        stop: threading.Event | None = None,
        force_deletes: bool = False,
    ) -> CycleContext:
        settings = self.job.settings
        evaluation = expressions.EvaluationContext(
            default_domain=settings.default_domain,
            now=lambda: now,
            placeholders=settings.placeholders or None,
        )
        return CycleContext(
            self.job,
            self.mappings,
            self.store,
            self.connectors,
            now,
            evaluation,
            progress,
            stop,
            force_deletes,
            self.sleep,
        )

    @contextlib.contextmanager
    def lease(self, wait: float = 0.0) -> Iterator[None]:
        """Hold the job's lease for the block (re-entrant; under the engine's lock): ``JobBusy`` when
        another process keeps it past ``wait`` seconds. The block's state writes and target batches check
        it (``Fenced``)."""
        with self._lock:
            if self._leases:
                self._leases += 1
                try:
                    yield
                finally:
                    self._leases -= 1
                return
            lease = self.store.acquire_lease(ttl=self.lease_seconds, wait=wait)
            self._leases = 1
            try:
                yield
            finally:
                self._leases = 0
                lease.release()

    # --- cycles ----------------------------------------------------------------------------------------

    def run_cycle(
        self,
        *,
        full: bool = False,
        now: datetime | None = None,
        progress: Progress | None = None,
        stop: threading.Event | None = None,
        wait: float = 0.0,
    ) -> CycleReport:
        """One cycle (initial when there is no watermark, or ``full``); never raises for directory failures:
        the report says ``Failed`` and the watermark stays where it was. When another process holds the job
        (its lease, waited for up to ``wait`` seconds) nothing is done and the report, recorded nowhere, says
        ``Failed`` with ``error_code`` ``JobBusy``; a cycle whose lease was taken over stops with
        ``Fenced`` and records nothing more."""
        with self._lock:
            try:
                with self.lease(wait), self._watch(stop) as watched:
                    self._refresh_schema()
                    # began once the lease is held: waiting for it is no part of the cycle
                    return self._cycle(now or datetime.now(UTC), full, progress, watched)
            except JobBusy as exc:
                began = now or datetime.now(UTC)
                report = CycleReport(str(uuid.uuid4()), self.job.id, full, began, ended=began)
                report.state, report.error, report.error_code = "Failed", str(exc), "JobBusy"
                return report

    def _cycle(
        self, began: datetime, full: bool, progress: Progress | None, stop: threading.Event | None
    ) -> CycleReport:
        clock = time.monotonic()
        control = self.store.control()
        status = merge_control(self.store.status() or initial_status(), control)
        full = full or self._schema_changed(status)
        report = CycleReport(str(uuid.uuid4()), self.job.id, full, began)
        force = bool(status.get("forceDeletes"))
        fenced = self._run(report, progress, stop, force)
        report.ended = began + timedelta(seconds=time.monotonic() - clock)
        if not fenced:
            try:
                self._finish(status, report, force, control)
            except Fenced as exc:
                fenced = _fenced(report, exc)
        if fenced:
            _log.error("cycle %s of job %s stopped: %s", report.id, self.job.id, report.error)
        return report

    def _run(
        self, report: CycleReport, progress: Progress | None, stop: threading.Event | None, force: bool
    ) -> bool:
        """The cycle into ``report``; True when this process lost the job (``Fenced``): then nothing more
        may be written, not even the report."""
        try:
            ctx = self._context(report.began, progress, stop, force)
        except (JobFileError, ConnectorError) as exc:
            report.state, report.error, report.error_code = "Failed", str(exc), type(exc).__name__
            return False
        driver = Driver(ctx, ApplySink(ctx), report)
        try:
            driver.run(report.full)
        except Exception as exc:  # a defect: record a failed cycle (nothing past the last commit)
            _log.exception("cycle %s of job %s failed unexpectedly", report.id, self.job.id)
            report.state, report.error_code = "Failed", "InternalError"
            report.error = f"{type(exc).__name__}: {exc} (an idsync defect; please report it)"
        if isinstance(driver.failure, Fenced):
            return True  # another process holds the job: folding a file now would overwrite its writes
        try:
            self.store.check_lease()  # the same check as before a target batch
            self._end_writes()
        except Fenced as exc:
            return _fenced(report, exc)
        except ConnectorError as exc:  # the writes are safe in a journal; the file is not current yet
            if report.succeeded:
                report.state, report.error, report.error_code = "Failed", str(exc), type(exc).__name__
        return False

    def _end_writes(self) -> None:
        """Each connector makes the cycle's writes final (the json and csv targets fold their write journal
        into their file: one rewrite per cycle, not per batch)."""
        for connector in self.connectors.values():
            connector.end_cycle()

    def _finish(self, status: dict[str, Any], report: CycleReport, force: bool, control: Control) -> None:
        """Fold the cycle into the job status and record both (one transaction). The operator's controls are
        not written here (``merge_control``): only which of their requests this cycle acted on."""
        complete = report.succeeded and not report.stopped
        if force and complete:
            status["forceDeletes"] = False
            status["forceDeletesSeen"] = control.force_seq
            if (status.get("quarantine") or {}).get("reason") == "TooManyDeletes":
                status["quarantine"] = None
        if complete:
            status["schemaFingerprint"] = self._fingerprint
        if apply_report(status, report, report.began, max(report.imported, 1)):
            self.store.reset({"escrows"})
        status["synchronizedEntryCountByType"] = self._entry_counts()
        self.store.commit(Batch(cycle=report.to_json(), status=status))

    def _schema_changed(self, status: Mapping[str, Any]) -> bool:
        """Spec §D.1: any change to the mappings or scoping filters makes the next cycle an initial one."""
        known = status.get("schemaFingerprint")
        return known is not None and known != self._fingerprint

    @overload
    def plan(
        self,
        *,
        full: bool = ...,
        now: datetime | None = ...,
        progress: Progress | None = ...,
        into: None = ...,
    ) -> Plan: ...

    @overload
    def plan(
        self,
        *,
        full: bool = ...,
        now: datetime | None = ...,
        progress: Progress | None = ...,
        into: PlanStream,
    ) -> PlanStream: ...

    def plan(
        self,
        *,
        full: bool = False,
        now: datetime | None = None,
        progress: Progress | None = None,
        into: PlanStream | None = None,
    ) -> Plan | PlanStream:
        """The dry-run: the cycle's own driver over a sink that writes nothing (to the target or the state)
        and collects every operation the cycle would perform -- into a ``Plan``, or ``into`` a
        ``PlanStream`` that writes each as it comes (memory bounded by a page, not the plan). Raises
        ``ConnectorError`` / ``StateError`` when a directory or the state fails (a plan is never partial;
        a stream has then written the operations before the failure)."""
        with self._lock:
            self._refresh_schema()
            status = merge_control(self.store.status(), self.store.control())
            began = now or datetime.now(UTC)
            ctx = self._context(began, progress, force_deletes=bool(status.get("forceDeletes")))
            sink = PreviewSink(ctx, into)
            report = CycleReport("dry-run", self.job.id, full or self._schema_changed(status), began)
            driver = Driver(ctx, sink, report)
            driver.run(report.full)
            if driver.failure is not None:
                raise driver.failure
            sink.plan.full = report.full
            return into if into is not None else cast(Plan, sink.plan)

    def explain(self, object_id: str, object_type: str | None = None) -> dict[str, Any]:
        """Provision-on-demand's steps for one source object, without writing anything."""
        with self._lock:
            return explain_object(self._context(datetime.now(UTC)), object_id, object_type)

    def provision_on_demand(self, object_id: str, object_type: str | None = None) -> dict[str, Any]:
        """Process one source object now (removals included, no threshold) and return its log record."""
        with self._lock, self.lease():
            now = datetime.now(UTC)
            record = on_demand(self._context(now), object_id, object_type, str(uuid.uuid4()))
            self._end_writes()
            return record

    def validate_credentials(self) -> None:
        """Raise the first connector's ``ConnectionFailed`` / ``AuthenticationFailed``."""
        for connector in self.connectors.values():
            connector.validate_credentials()

    # --- status and lifecycle --------------------------------------------------------------------------

    def _entry_counts(self) -> list[dict[str, Any]]:
        counts = self.store.count_links()
        by_type: dict[str, int] = {}
        for mapping in self.mappings:
            by_type[mapping.target_object] = by_type.get(mapping.target_object, 0) + counts.get(
                mapping.key, 0
            )
        return [{"key": name, "value": value} for name, value in by_type.items()]

    def status(self) -> dict[str, Any]:
        """Graph's synchronizationStatus, plus ``escrowCount``, ``stagedCount`` and ``paused``."""
        status = merge_control(self.store.status() or initial_status(), self.store.control())
        for bookkeeping in _CONTROL_SEEN:  # which operator requests cycles acted on: not Graph's
            status.pop(bookkeeping, None)
        status["code"] = status_code(status)
        status["synchronizedEntryCountByType"] = self._entry_counts()
        status["escrowCount"] = self.store.count_escrows()
        status["stagedCount"] = self.store.count_staged()
        return status

    def _update_status(self, change: Mapping[str, Any]) -> None:
        """Under the lease (no cycle runs): fold ``change`` into the stored status."""
        stored = self.store.status() or initial_status()
        status = merge_control(stored, self.store.control())
        stored.update(change)
        stored["code"] = status_code({**status, **change})
        self.store.commit(Batch(status=stored))

    def start(self) -> None:
        """Resume a paused job; like Graph's start, it also lifts a quarantine. A request in the control
        row: no lease is needed, a running cycle (in any process) is not waited for."""
        self.store.request_control(paused=False, lift=True)

    def pause(self) -> None:
        """Pause the job; a cycle running in any process stops after its current batch (control row)."""
        self.store.request_control(paused=True, stop=True)

    def restart(self, scopes: set[str] | frozenset[str] | None = None) -> None:
        """Graph's restart: ``resetScope`` names (empty: Watermark, Escrows, QuarantineState)."""
        wanted = set(scopes or ()) - {"None"} or set(_DEFAULT_RESTART)
        unknown = wanted - RESET_SCOPES
        if unknown:
            raise ValueError(
                f"unknown reset scope {sorted(unknown)}; known: {', '.join(sorted(RESET_SCOPES))}"
            )
        if "Full" in wanted:
            wanted |= {"Watermark", "Escrows", "QuarantineState", "ConnectorDataStore"}
        with self._lock, self.lease():
            self._reset(wanted)

    def _reset(self, wanted: set[str]) -> None:
        parts = {"Watermark": "watermarks", "Escrows": "escrows", "ConnectorDataStore": "datastore"}
        tables = {table for scope, table in parts.items() if scope in wanted}
        if "Full" in wanted:
            tables |= {"links", "staged"}
        elif "Watermark" in wanted and "ForceDeletes" not in wanted:
            tables.add("staged")  # held removals are recomputed by the full read
        self.store.reset(tables)
        change: dict[str, Any] = {}
        if "QuarantineState" in wanted:
            change["quarantine"] = None
        if "ForceDeletes" in wanted:
            status = self.store.status()
            if (status.get("quarantine") or {}).get("reason") == "TooManyDeletes":
                change["quarantine"] = None
        self.store.request_control(paused=False, force="ForceDeletes" in wanted)
        self._update_status(change)

    def logs(
        self, *, cycle_id: str | None = None, since: int = 0, limit: int = 100, newest_first: bool = False
    ) -> list[dict[str, Any]]:
        """Provisioning log records (Graph provisioningObjectSummary), oldest first by default; ``since`` is a
        sequence number from :meth:`log_page` (exclusive)."""
        return self.log_page(cycle_id=cycle_id, since=since, limit=limit, newest_first=newest_first)[0]

    def log_page(
        self, *, cycle_id: str | None = None, since: int = 0, limit: int = 100, newest_first: bool = False
    ) -> tuple[list[dict[str, Any]], int]:
        """A page of log records and the sequence number to pass as ``since`` for the next page (0: none)."""
        rows = self.store.logs(cycle_id=cycle_id, since=since, limit=limit, newest_first=newest_first)
        return [summary(entry) for _, entry in rows], (rows[-1][0] if len(rows) == limit else 0)

    def cycles(self, limit: int = 20) -> list[dict[str, Any]]:
        return self.store.cycles(limit)

    def close(self) -> None:
        if self._connectors is not None:
            for connector in self._connectors.values():
                connector.close()
        self.store.close()

    def __enter__(self) -> SyncEngine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
