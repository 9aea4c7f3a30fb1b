"""One sync cycle: the only place that writes to targets and to the state (STYLE habit 9).

Phases (spec §D.1, §D.5, §D.7; DESIGN "the pipeline"):

1. **Objects**, mapping by mapping (users before groups): the source is read in pages (since the
   watermark, or everything on an initial/full cycle); each page is planned, its creates and updates are
   exported, its removals are *staged*, and its links, escrows, log records, data-store updates and
   watermark are committed in one transaction. After a full read, links whose source object was not seen
   are removals too. Escrows due for a retry are re-read and planned again. References (manager,
   members) whose objects are linked already are written with the object itself (``_planner``).
   Creates are journaled as intents before their export (``_intents``); pending intents a crash left are
   resolved after this phase (their created objects removed when the source object is gone).
2. **Guard**: when the staged removals reach ``deleteThreshold`` nothing is removed, the job is
   quarantined (TooManyDeletes) and ``stagedDelete`` records are logged, until a restart with ForceDeletes;
   otherwise the staged removals are exported.
3. **References**: reference values (source ids) that could not be resolved when their object was
   planned (their object was not provisioned yet) are translated and exported once it is.

Memory is bounded by the page size, except the set of source ids seen by a full read (needed to find
deletions; one string per object).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import expressions
from connectors import ApplyResult, Connector, ConnectorError, DirectoryObject, Page

from .._state_types import Batch, EscrowRow, Link, StagedRemoval
from ..job import Job
from ..state import StateError, StateStore
from ._decide import Policy, decide_delete
from ._export import Exporter
from ._intents import intent_for, resolve_intents
from ._model import Action, Operation, Reason
from ._phases import apply_staged, guard, references
from ._planner import PagePlan, PlannedObject, Planner, TargetLookup
from ._records import LogContext, log_record, operation_to_json
from ._report import CycleReport
from ._rules import CompiledMapping

Progress = Callable[[str, int, int | None], None]


def _no_links(scope: str, source_ids: Sequence[str]) -> Mapping[str, Link]:
    return {}


class _StoreView:
    """The connector data store of one mapping, read through the state store."""

    def __init__(self, store: StateStore, scope: str) -> None:
        self.store, self.scope = store, scope

    def get_many(self, keys: Iterable[str]) -> dict[str, str]:
        return self.store.datastore_get(self.scope, keys)

    def keys(self) -> Iterator[str]:
        return self.store.datastore_keys(self.scope)

    def count(self) -> int:
        return self.store.datastore_count(self.scope)


@dataclass
class CycleContext:
    """What a cycle works with (built by ``SyncEngine``)."""

    job: Job
    mappings: Sequence[CompiledMapping]
    store: StateStore
    connectors: Mapping[str, Connector]
    now: datetime
    evaluation: expressions.EvaluationContext
    progress: Progress | None = None
    stop: threading.Event | None = None
    force_deletes: bool = False
    sleep: Callable[[float], None] | None = None

    def policy(self, mapping: CompiledMapping) -> Policy:
        target = self.connectors[mapping.target_directory]
        return Policy(self.job.settings.skip_out_of_scope_deletions, target.capabilities.soft_delete)

    def log_context(self, mapping: CompiledMapping, cycle_id: str) -> LogContext:
        return LogContext(
            self.job.id,
            cycle_id,
            self.job.service_principal,
            mapping.source_directory,
            mapping.target_directory,
        )

    def reference_scopes(self, mapping: CompiledMapping) -> list[str]:
        """The mappings whose links translate ``mapping``'s references: every mapping between the same two
        directories (a group's members may be users or groups)."""
        pair = (mapping.source_directory, mapping.target_directory)
        return [m.key for m in self.mappings if (m.source_directory, m.target_directory) == pair]

    def reference_targets(self, mapping: CompiledMapping) -> TargetLookup:
        """Target ids of the linked objects of ``reference_scopes(mapping)``."""
        scopes = self.reference_scopes(mapping)
        return lambda ids: self.store.target_ids(scopes, ids)

    def planner(self, mapping: CompiledMapping, *, linked: bool = True, shown_only: bool = False) -> Planner:
        """The planner of ``mapping`` as cycles and dry-runs use it, references resolved when possible.

        For a dry-run (``shown_only``), which writes nothing: ``linked`` false says the state holds no link
        (an initial dry-run), so the planner neither asks for links nor resolves references (every one is
        left to the end, against the creates); a target that counts no object of the type is not asked for
        matches."""
        target = self.connectors[mapping.target_directory]
        targets = self.reference_targets(mapping) if mapping.references and linked else None
        return Planner(
            mapping,
            self.store.links if linked else _no_links,
            target,
            self.evaluation,
            self.policy(mapping),
            targets,
            shown_only=shown_only,
            nothing_to_match=shown_only and target.count(mapping.target_object) == 0,
        )

    def exporter(self, mapping: CompiledMapping) -> Exporter:
        target = self.connectors[mapping.target_directory]
        size = self.job.settings.batch_size or target.capabilities.batch_size
        kwargs = {"sleep": self.sleep} if self.sleep is not None else {}
        return Exporter(target, size, self.job.settings.max_retries, **kwargs)


class Cycle:
    """Runs one cycle; ``run`` returns the report (never raises for connector failures)."""

    def __init__(self, ctx: CycleContext, report: CycleReport) -> None:
        self.ctx = ctx
        self.report = report
        self.store = ctx.store
        self.staged_now: list[tuple[str, str]] = []
        # Deleting rows that do not exist costs a query per page: skip it when the tables are empty.
        self.any_staged = self.store.count_staged() > 0
        self.any_escrows = self.store.count_escrows() > 0
        self.any_intents = self.store.count_intents() > 0

    # --- entry -----------------------------------------------------------------------------------------

    def run(self, full: bool) -> CycleReport:
        try:
            for mapping in self.ctx.mappings:
                if self._stopped():
                    break
                self._objects(mapping, full)
            if not self._stopped():
                resolve_intents(self)
                guard(self)
                for mapping in self.ctx.mappings:
                    if mapping.references and not self._stopped():
                        references(self, mapping)
        except (ConnectorError, StateError) as exc:
            self.report.state = "Failed"
            self.report.error = str(exc)
            self.report.error_code = type(exc).__name__
        self.report.stopped = self._stopped()
        if self.report.state != "Failed" and self.report.escrowed:
            self.report.state = "EntryLevelErrors"
        return self.report

    def _stopped(self) -> bool:
        return self.ctx.stop is not None and self.ctx.stop.is_set()

    def _total(self, source: Connector, mapping: CompiledMapping) -> int | None:
        """The objects a full read of ``mapping`` will deliver, when the source can tell (a progress bar)."""
        if self.ctx.progress is None:
            return None
        try:
            return source.count(mapping.source_object)
        except ConnectorError:
            return None  # only a progress total: the read itself reports the directory's failure

    # --- objects phase ---------------------------------------------------------------------------------

    def _objects(self, mapping: CompiledMapping, full: bool) -> None:
        since = None if full else self.store.watermark(mapping.key)
        self.report.full = self.report.full or since is None  # an initial cycle reads everything
        source = self.ctx.connectors[mapping.source_directory]
        planner = self.ctx.planner(mapping)
        exporter = self.ctx.exporter(mapping)
        seen: set[str] = set()
        view = _StoreView(self.store, mapping.key)
        total = self._total(source, mapping) if since is None else None
        label = f"{mapping.source_object} → {mapping.target_object}"
        for page in source.read(
            mapping.source_object, since, page_size=self.ctx.job.settings.page_size, store=view
        ):
            seen.update(obj.id for obj in page.objects)
            self.report.imported += len(page.objects)
            self.process_page(mapping, planner.plan_page(page.objects), exporter, page)
            if self.ctx.progress is not None:
                self.ctx.progress(label, len(seen), total)
            if self._stopped():
                return
        if since is None:
            self._vanished(mapping, seen, exporter)
        self._retry_escrows(mapping, planner, exporter, source, seen)

    def process_page(
        self, mapping: CompiledMapping, plan: PagePlan, exporter: Exporter, page: Page | None
    ) -> None:
        batch = Batch()
        log = self.ctx.log_context(mapping, self.report.id)
        writes: list[PlannedObject] = []
        failures: list[tuple[Operation, str]] = []
        for planned in plan.objects:
            op = planned.operation
            self.report.count(mapping.target_object, op.action)
            if not planned.source.deleted and self.any_staged:
                batch.unstage(mapping.key, op.source_id)
            if op.action in (Action.CREATE, Action.UPDATE):
                writes.append(planned)
            elif op.action.is_removal:
                self._stage(batch, op)
            elif op.action is Action.FAIL:
                failures.append((op, op.reason))
            else:
                self._settle(batch, planned, log)
        self._journal(mapping, writes)
        results = exporter.apply([p.operation for p in writes])
        for planned, result in zip(writes, results, strict=True):
            if result.ok:
                self._written(batch, planned, result, log)
            else:
                if planned.operation.action is Action.CREATE:
                    batch.clear_intent(mapping.key, planned.operation.source_id)  # rejected: nothing made
                failures.append((planned.operation, f"{Reason.TARGET_REJECTED}: {result.error}"))
        self.escrow(batch, mapping, failures, log)
        if page is not None:
            self._advance(batch, mapping, page)
        self.store.commit(batch)

    def _journal(self, mapping: CompiledMapping, writes: Sequence[PlannedObject]) -> None:
        """Record the page's creates as intents, committed before the export (one statement per page)."""
        intents = [intent_for(p, self.ctx.now) for p in writes if p.operation.action is Action.CREATE]
        if intents:
            self.store.record_intents(mapping.key, intents)
            self.any_intents = True

    def _settle(self, batch: Batch, planned: PlannedObject, log: LogContext) -> None:
        """NOOP / SKIP: no write, but the link may need recording (a match, new essence, pending refs)."""
        op, link = planned.operation, planned.link
        self._clear_escrow(batch, op)
        if op.action is Action.SKIP:
            batch.logs.append(log_record(log, op, when=self.ctx.now, status="skipped"))
            if link is None and op.target_id:  # matched, but updates are not allowed: still linked
                batch.link(op.scope, Link(op.source_id, op.target_id, dict(op.essence)))
                if self.any_intents:
                    batch.clear_intent(op.scope, op.source_id)
            return
        refs = planned.references
        target_id = op.target_id
        if target_id is None:
            return
        if (
            link is None
            or refs is not None
            or dict(link.essence) != dict(op.essence)
            or link.disabled != op.disabled
        ):
            pending = dict(refs) if refs is not None else (link.pending_refs if link else None)
            batch.link(op.scope, Link(op.source_id, target_id, dict(op.essence), pending, op.disabled))
            if link is None and self.any_intents:  # matched again after a crash: the intent is done
                batch.clear_intent(op.scope, op.source_id)

    def _written(self, batch: Batch, planned: PlannedObject, result: ApplyResult, log: LogContext) -> None:
        op = planned.operation
        target_id = result.target_id or op.target_id or ""
        refs = planned.references
        batch.link(op.scope, Link(op.source_id, target_id, dict(op.essence), dict(refs) if refs else None))
        if planned.link is None and self.any_intents:  # a create, or a match of an earlier crashed create
            batch.clear_intent(op.scope, op.source_id)
        self._clear_escrow(batch, op)
        batch.logs.append(log_record(log, op, when=self.ctx.now, status="success", target_id=target_id))
        self.report.exported += 1

    def _clear_escrow(self, batch: Batch, op: Operation) -> None:
        if self.any_escrows:
            batch.clear_escrow(op.scope, op.source_id)

    def apply_staged(self, mapping: CompiledMapping, only: set[str] | None = None) -> None:
        """Export the removals held for ``mapping`` (all, or the source ids in ``only``)."""
        apply_staged(self, mapping, only)

    def _stage(self, batch: Batch, op: Operation) -> None:
        batch.stage(op.scope, StagedRemoval(op.source_id, operation_to_json(op)))
        self.staged_now.append((op.scope, op.source_id))
        self.any_staged = True

    def _advance(self, batch: Batch, mapping: CompiledMapping, page: Page) -> None:
        """The page's data-store updates and watermark, when they change anything (a read's last page is
        often empty, with the watermark already stored: its batch stays empty and nothing is committed)."""
        if page.store_updates:
            batch.store_updates[mapping.key] = dict(page.store_updates)
        if page.watermark is None:
            return
        previous = self.store.watermark(mapping.key)
        if previous != page.watermark and (previous is None or previous.is_before_or_at(page.watermark)):
            batch.watermarks[mapping.key] = page.watermark

    def escrow(
        self,
        batch: Batch,
        mapping: CompiledMapping,
        failures: Sequence[tuple[Operation, str]],
        log: LogContext,
    ) -> None:
        if not failures:
            return
        self.any_escrows = True
        existing = self.store.escrows(mapping.key, [op.source_id for op, _ in failures])
        settings = self.ctx.job.settings
        for op, message in failures:
            self.report.escrowed += 1
            batch.logs.append(log_record(log, op, when=self.ctx.now, status="failure", error=message))
            previous = existing.get(op.source_id)
            attempts = previous.attempts + 1 if previous else 1
            first = previous.first_failure if previous else self.ctx.now
            if self.ctx.now - first > timedelta(days=settings.escrow_max_days):
                batch.clear_escrow(mapping.key, op.source_id)  # spec §D.6: given up after 28 days
                continue
            hours = settings.escrow_retry_hours[min(attempts, len(settings.escrow_retry_hours)) - 1]
            code = message.split(":", 1)[0]
            batch.escrow(
                mapping.key,
                EscrowRow(
                    op.source_id, attempts, first, self.ctx.now + timedelta(hours=hours), code, message
                ),
            )

    def _vanished(self, mapping: CompiledMapping, seen: set[str], exporter: Exporter) -> None:
        """After a full read: linked objects the source no longer has were hard-deleted."""
        for links in self.store.iter_links(mapping.key, skip=seen):  # the seen ones are never decoded
            gone = [link for link in links if link.source_id not in seen]
            if gone:
                plan = PagePlan(
                    [
                        PlannedObject(
                            DirectoryObject(mapping.source_object, link.source_id, deleted=True),
                            decide_delete(mapping, link, Reason.HARD_DELETED),
                            link=link,
                        )
                        for link in gone
                    ]
                )
                self.process_page(mapping, plan, exporter, None)

    def _retry_escrows(
        self,
        mapping: CompiledMapping,
        planner: Planner,
        exporter: Exporter,
        source: Connector,
        seen: set[str],
    ) -> None:
        due = [
            row.source_id
            for row in self.store.due_escrows(mapping.key, self.ctx.now)
            if row.source_id not in seen
        ]
        for start in range(0, len(due), self.ctx.job.settings.page_size):
            ids = due[start : start + self.ctx.job.settings.page_size]
            found = source.get(mapping.source_object, ids)
            objects = [found.get(i) or DirectoryObject(mapping.source_object, i, deleted=True) for i in ids]
            plan = planner.plan_page(objects)
            handled = {p.source.id for p in plan.objects}
            batch_clear = [i for i in ids if i not in handled]  # deleted and never linked: nothing left to do
            self.process_page(mapping, plan, exporter, None)
            if batch_clear:
                clear = Batch()
                for source_id in batch_clear:
                    clear.clear_escrow(mapping.key, source_id)
                self.store.commit(clear)
