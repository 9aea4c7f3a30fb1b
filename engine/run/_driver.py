"""The one driver of a cycle, for the cycle itself and for its dry-run: the sink (``_sinks``) is the only
difference between them.

Phases (spec §D.1, §D.5, §D.7; ARCHITECTURE.md):

1. **Objects**, mapping by mapping (users before groups): the source is read in pages (since the
   watermark, or everything on an initial/full cycle); each page is planned (``engine.plan.Planner``), its
   creates are journaled, its creates and updates exported, its removals *staged*, and its links, escrows,
   log records, data-store updates and watermark committed as one batch. After a full and *complete* read,
   links whose source object was not seen are removals too; a read that skipped objects it could not read
   (a page says ``incomplete``) finds no deletion by absence -- neither there nor through escrow retries or
   intents -- and the report says why. Escrows due for a retry are read and planned again.
   References whose objects are linked already are written with the object itself.
2. **Intents**: creates a crash left journaled but unlinked are resolved (``engine.plan.decide_intent``):
   their copies are staged for removal when the source object is gone.
3. **Guard**: every removal staged (this cycle's and earlier held ones) is exported, or, at the deletion
   threshold, none is and the job is quarantined (``engine.plan.guard_verdict``).
4. **References**: references that could not be resolved when their object was planned are resolved and
   exported once their objects are provisioned.

Memory is bounded by the page size, except the set of source ids a full read saw (to find deletions).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from operator import attrgetter
from typing import Any, NamedTuple

from connectors import ApplyResult, Connector, ConnectorError, DirectoryObject, Page

from ..plan import (
    UNCONFIRMED,
    Action,
    CompiledMapping,
    IntentDecision,
    Outcome,
    PagePlan,
    PlannedObject,
    PlannedOperation,
    Planner,
    Reason,
    Verdict,
    advance_watermark,
    decide,
    decide_delete,
    decide_intent,
    escrow_schedule,
    guard_verdict,
    held,
    intent_operation,
    journal_values,
    referenced_ids,
    resolve,
    still_provisioned,
)
from ..state import Batch, EscrowRow, Intent, Link, PendingExport, StagedRemoval, StateError
from ._context import CycleContext
from ._full import TargetCheck
from ._records import LogContext, operation_from_json, operation_to_json
from ._report import CycleReport
from ._sinks import Sink

_log = logging.getLogger("idsync.engine")
_OPERATION, _ACTION = attrgetter("operation"), attrgetter("action")
_CREATE, _UPDATE = Action.CREATE, Action.UPDATE  # (module constants: an enum's members are class lookups)
DELETED = "~deleted"
"""The pending-exports key of objects deleted whose referrers ``Driver.unreference`` has not yet cleared."""


def _references_of(obj: DirectoryObject | None, sources: dict[str, str]) -> dict[str, Any]:
    """The source values of an object's reference attributes (target name -> source ids, None for none), as
    pending references; an object no longer in the source refers to nothing."""
    attributes = obj.attributes if obj is not None else {}
    return {target: attributes.get(name) for target, name in sources.items()}


class Failure(NamedTuple):
    """Why an object failed: its code (the escrow's and the log's error code) and the message."""

    code: str
    message: str


def _planned_failure(op: PlannedOperation) -> Failure:
    return Failure(op.error or Reason.EVALUATION_FAILED, op.reason)


def _rejected(error: object) -> Failure:
    return Failure(Reason.TARGET_REJECTED, f"{Reason.TARGET_REJECTED}: {error}")


class Driver:
    """Runs one cycle over ``sink``; ``run`` returns the report (never raises for directory failures)."""

    def __init__(self, ctx: CycleContext, sink: Sink, report: CycleReport) -> None:
        self.ctx = ctx
        self.sink = sink
        self.state = sink.state
        self.report = report
        self.staged_now: set[tuple[str, str]] = set()
        """Removals staged by this cycle (the log records a held removal once)."""
        # Clearing rows that do not exist costs a statement per page: skipped while the tables are empty.
        self.any_staged = self.state.count_staged() > 0
        self.any_escrows = self.state.count_escrows() > 0
        self.any_intents = self.state.count_intents() > 0
        self.failure: ConnectorError | StateError | None = None
        """The directory or state failure that stopped the run (also in the report)."""

    def run(self, full: bool) -> CycleReport:
        try:
            for mapping in self.ctx.mappings:
                if self.ctx.stopped():
                    break
                self.objects(mapping, full)
            if not self.ctx.stopped():
                self.resolve_intents()
                self.guard()
                for mapping in self.ctx.mappings:
                    if mapping.references and not self.ctx.stopped():
                        self.references(mapping)
        except (ConnectorError, StateError) as exc:
            self.failure = exc
            self.report.state = "Failed"
            self.report.error = str(exc)
            self.report.error_code = type(exc).__name__
        self.report.stopped = self.ctx.stopped()
        if self.report.state != "Failed" and self.report.escrowed:
            self.report.state = "EntryLevelErrors"
        return self.report

    def planner(self, mapping: CompiledMapping) -> Planner:
        """``mapping``'s planner, reading links and the target through the sink."""
        keys = self.ctx.reference_keys(mapping)
        state = self.state
        return Planner(
            mapping,
            state.links,
            self.sink.find(mapping),
            self.ctx.evaluation,
            self.ctx.policy(mapping),
            (lambda ids: state.target_ids(keys, ids)) if mapping.references else None,
            exported=self.sink.exported,
        )

    # --- objects ---------------------------------------------------------------------------------------

    def _total(self, source: Connector, mapping: CompiledMapping) -> int | None:
        """The objects a full read of ``mapping`` will deliver, when the source can tell (a progress bar)."""
        if self.ctx.progress is None:
            return None
        try:
            return source.count(mapping.source_object)
        except ConnectorError:
            return None  # only a progress total: the read itself reports the directory's failure

    def objects(self, mapping: CompiledMapping, full: bool) -> None:
        since = None if full else self.state.watermark(mapping.key)
        self.report.full = self.report.full or since is None  # an initial cycle reads everything
        source = self.ctx.connectors[mapping.source_directory]
        planner = self.planner(mapping)
        if full:  # issue 17: a full cycle checks its links against the target objects (engine/run/_full.py)
            planner.links = TargetCheck(self.ctx, self.sink, mapping).links
        seen: set[str] = set()
        store = self.sink.source_store(mapping, full=since is None)
        total = self._total(source, mapping) if since is None else None
        label = f"{mapping.source_object} → {mapping.target_object}"
        page_size = self.ctx.job.settings.page_size
        incomplete: str | None = None
        unconfirmed = self._unconfirmed(mapping)
        for page in source.read(mapping.source_object, since, page_size=page_size, store=store):
            incomplete = incomplete or page.incomplete
            seen.update([obj.id for obj in page.objects])
            self.report.imported += len(page.objects)
            self.process_page(mapping, planner.plan_page(page.objects), page)
            if self.ctx.progress is not None:
                self.ctx.progress(label, len(seen), total)
            if self.ctx.stopped():
                return
        if incomplete is not None:
            self._incomplete(mapping, incomplete)
        elif since is None:
            self._vanished(mapping, seen)
        self._retry_escrows(mapping, planner, source, seen)
        if unconfirmed - seen:
            self._reconcile(mapping, planner, source, sorted(unconfirmed - seen))

    def _unconfirmed(self, mapping: CompiledMapping) -> set[str]:
        """Exports a crash left unconfirmed (journaled, result never committed): the target may hold their new
        values or the old ones, so the attributes they wrote are marked ``UNCONFIRMED`` in the essence
        (committed first: a crash now changes nothing) and each object is planned again this cycle, which
        re-sends those attributes with the source's current values. Returns their source ids."""
        pending = self.sink.pending_exports(mapping.key)
        if not pending:
            return set()
        links = self.state.links(mapping.key, [p.source_id for p in pending])
        batch = Batch()
        for export in pending:
            link = links.get(export.source_id)
            if link is None:  # unlinked since (a restart with the Full scope): nothing to reconcile
                batch.clear_export(mapping.key, export.source_id)
                continue
            essence = {**link.essence, **dict.fromkeys(export.attributes, UNCONFIRMED)}
            batch.link(mapping.key, link._replace(essence=essence))
        self.sink.commit(batch)
        _log.warning(
            "job %s: %d exports of %s were interrupted before they were confirmed; their attributes are sent "
            "again",
            self.ctx.job.id,
            len(links),
            mapping.source_object,
        )
        return set(links)

    def _reconcile(
        self, mapping: CompiledMapping, planner: Planner, source: Connector, ids: list[str]
    ) -> None:
        """Plan again the unconfirmed objects this cycle's read did not deliver (``_unconfirmed``)."""
        trusted = mapping.key not in self.report.incomplete
        size = self.ctx.job.settings.page_size
        for start in range(0, len(ids), size):
            chunk = ids[start : start + size]
            found = source.get(mapping.source_object, chunk)
            objects = [
                found.get(i) or DirectoryObject(mapping.source_object, i, deleted=True)
                for i in chunk
                if trusted or i in found
            ]
            self.process_page(mapping, planner.plan_page(objects), None)
            cleared = Batch()
            for source_id in chunk:  # planned again (an export journaled anew if it needed one)
                cleared.clear_export(mapping.key, source_id)
            self.sink.commit(cleared)

    def _incomplete(self, mapping: CompiledMapping, why: str) -> None:
        """A read that skipped objects it could not read: their absence is no deletion (not by ``_vanished``,
        not by an escrow retry, not by the intents step), and the report and the log say why."""
        self.report.incomplete[mapping.key] = why
        _log.warning(
            "job %s: the read of %s was incomplete, so no object missing from it is deleted this cycle: %s",
            self.ctx.job.id,
            mapping.source_object,
            why,
        )

    def process_page(self, mapping: CompiledMapping, plan: PagePlan, page: Page | None) -> None:
        """Export the page's creates and updates, stage its removals, commit the rest with them; the log
        follows the page's order."""
        batch = Batch()
        log = self.ctx.log_context(mapping, self.report.id)
        renamed = self._reuse_uncommitted(mapping, plan) if self.any_intents else []
        operations = list(map(_OPERATION, plan.objects))
        actions = list(map(_ACTION, operations))
        writes = [p for p, a in zip(plan.objects, actions, strict=True) if a is _CREATE or a is _UPDATE]
        creates = [p for p, a in zip(plan.objects, actions, strict=True) if a is _CREATE]
        updates = [op for op in map(_OPERATION, writes) if op.action is _UPDATE and op.modifications]
        if self.sink.journal_writes(mapping, creates, updates, self.ctx.now, renamed=renamed):
            self.any_intents = True
        for op in updates:  # their results are committed with this batch
            batch.clear_export(mapping.key, op.source_id)
        results = iter(self.sink.export(mapping, list(map(_OPERATION, writes))))
        failures: list[tuple[PlannedOperation, Failure]] = []
        self.report.count_all(mapping.target_object, actions)
        for planned, op, action in zip(plan.objects, operations, actions, strict=True):
            if self.any_staged and not planned.source.deleted:
                batch.unstage(mapping.key, op.source_id)
            if action is _CREATE or action is _UPDATE:
                result = next(results)
                if result.error is None:
                    self._written(batch, planned, result, log)
                    continue
                if action is _CREATE:
                    batch.clear_intent(mapping.key, op.source_id)  # rejected: nothing was made
                failures.append(self._failed(batch, log, op, _rejected(result.error)))
            elif action.is_removal:
                self._stage(batch, op)
            elif action is Action.FAIL:
                failures.append(self._failed(batch, log, op, _planned_failure(op)))
            else:
                self._settle(batch, planned, log)
        self._escrow(batch, mapping, failures)
        if page is not None:
            self._advance(batch, mapping, page)
        self.sink.commit(batch)

    def _reuse_uncommitted(self, mapping: CompiledMapping, plan: PagePlan) -> list[Intent]:
        """A create whose source object has a crash's create intent under other matching values (its matching
        attribute was renamed since): the copy the crash left is found by the intent's values and, when no
        link claims it, updated in place (every value sent) instead of a second object being created.

        Returns those intents journaled anew with the new values beside the old ones: the update renames the
        copy, so a crash before its commit must still let the next cycle find it by either name."""
        creates = {p.source.id: p for p in plan.objects if p.operation.action is Action.CREATE}
        if not creates:
            return []
        earlier = [i for i in self.state.intents(mapping.key) if i.source_id in creates]
        earlier = [i for i in earlier if tuple(i.values) != journal_values(creates[i.source_id])]
        if not earlier:
            return []
        renamed: list[Intent] = []
        hits = self._intent_hits(mapping, earlier)
        claimed = self.state.linked_targets(mapping.key, {t for found in hits.values() for t in found})
        for intent in earlier:
            copies = next((found for pair in intent.values if (found := hits.get(pair))), [])
            free = [t for t in copies if t not in claimed]
            planned = creates[intent.source_id]
            if len(free) != 1 or planned.state is None or planned.mapped is None:
                continue  # none left, or ambiguous: the intents step decides about it as before
            copy = DirectoryObject(mapping.target_object, free[0])
            planned.operation = decide(
                mapping,
                intent.source_id,
                planned.state,
                planned.mapped,
                None,
                copy,
                self.ctx.policy(mapping),
                planned.operation.display_name,
                self.sink.exported,
            )
            planned.folded = False  # its references are resolved by the references phase
            claimed.add(free[0])
            both = tuple(dict.fromkeys((*intent.values, *journal_values(planned))))
            renamed.append(Intent(intent.source_id, both, self.ctx.now))
        return renamed

    def _settle(self, batch: Batch, planned: PlannedObject, log: LogContext) -> None:
        """NOOP / SKIP: no write, but the link may need recording (a match, new essence, pending refs)."""
        op, link = planned.operation, planned.link
        self._clear_escrow(batch, op)
        if op.action is Action.SKIP:
            self.sink.log(batch, log, op, "skipped")
            if link is None and op.target_id:  # matched, but updates are not allowed: still linked
                batch.link(op.mapping_key, Link(op.source_id, op.target_id, op.essence))
                if self.any_intents:
                    batch.clear_intent(op.mapping_key, op.source_id)
            return
        self.sink.unchanged(op)
        refs = planned.references
        target_id = op.target_id
        if target_id is None:
            return
        # Folded with nothing left pending: references an earlier cycle left pending are void (the source
        # changed them since), not to be resolved later against what the source says now.
        void = planned.folded and refs is None and link is not None and link.pending_refs is not None
        if (
            link is None
            or refs is not None
            or void
            or dict(link.essence) != dict(op.essence)
            or link.disabled != op.disabled
        ):
            kept = link.pending_refs if link is not None and not planned.folded else None
            pending = dict(refs) if refs is not None else (dict(kept) if kept is not None else None)
            batch.link(op.mapping_key, Link(op.source_id, target_id, op.essence, pending, op.disabled))
            if link is None and self.any_intents:  # matched again after a crash: the intent is done
                batch.clear_intent(op.mapping_key, op.source_id)

    def _written(self, batch: Batch, planned: PlannedObject, result: ApplyResult, log: LogContext) -> None:
        op = planned.operation
        target_id = result.target_id or op.target_id or ""
        # positional, through ``tuple.__new__`` (its constructor is a Python function): one per write
        link = tuple.__new__(Link, (op.source_id, target_id, op.essence, planned.references or None, False))
        batch.link(op.mapping_key, link)
        if self.any_intents and planned.link is None:  # a create, or a match of an earlier crashed create
            batch.clear_intent(op.mapping_key, op.source_id)
        if self.any_escrows:
            batch.clear_escrow(op.mapping_key, op.source_id)
        self.sink.log(batch, log, op, "success", target_id=target_id)
        self.report.exported += 1

    def _clear_escrow(self, batch: Batch, op: PlannedOperation) -> None:
        if self.any_escrows:
            batch.clear_escrow(op.mapping_key, op.source_id)

    def _stage(self, batch: Batch, op: PlannedOperation) -> None:
        batch.stage(op.mapping_key, StagedRemoval(op.source_id, operation_to_json(op)))
        self.staged_now.add((op.mapping_key, op.source_id))
        self.any_staged = True

    def _advance(self, batch: Batch, mapping: CompiledMapping, page: Page) -> None:
        """The page's data-store updates and watermark, when they change anything (a read's last page is
        often empty, with the watermark already stored: its batch stays empty and nothing is committed)."""
        if page.store_updates:
            batch.store_updates[mapping.key] = dict(page.store_updates)
        if page.watermark is not None:
            advanced = advance_watermark(self.state.watermark(mapping.key), page.watermark)
            if advanced is not None:
                batch.watermarks[mapping.key] = advanced

    def escrow(
        self,
        batch: Batch,
        mapping: CompiledMapping,
        failures: Sequence[tuple[PlannedOperation, Failure]],
        log: LogContext,
    ) -> None:
        """Log the failures and escrow each object for a retry (spec §D.6)."""
        for op, failure in failures:
            self._failed(batch, log, op, failure)
        self._escrow(batch, mapping, failures)

    def _failed(
        self, batch: Batch, log: LogContext, op: PlannedOperation, failure: Failure
    ) -> tuple[PlannedOperation, Failure]:
        self.report.escrowed += 1
        self.sink.log(batch, log, op, "failure", error=failure.message, code=failure.code)
        return op, failure

    def _escrow(
        self, batch: Batch, mapping: CompiledMapping, failures: Sequence[tuple[PlannedOperation, Failure]]
    ) -> None:
        """The escrows of logged failures: the next attempt, or given up (``escrow_schedule``)."""
        if not failures:
            return
        self.any_escrows = True
        existing = self.state.escrows(mapping.key, [op.source_id for op, _ in failures])
        settings = self.ctx.job.settings
        for op, failure in failures:
            previous = existing.get(op.source_id)
            attempt = escrow_schedule(
                (previous.attempts, previous.first_failure) if previous else None,
                self.ctx.now,
                settings.escrow_retry_hours,
                settings.escrow_max_days,
            )
            if attempt is None:
                batch.clear_escrow(mapping.key, op.source_id)  # given up
                continue
            row = EscrowRow(
                op.source_id, attempt.attempts, attempt.first_failure, attempt.next_attempt, *failure
            )
            batch.escrow(mapping.key, row)

    def _vanished(self, mapping: CompiledMapping, seen: set[str]) -> None:
        """After a full read: linked objects the source no longer has were hard-deleted."""
        for links in self.state.iter_links(mapping.key, skip=seen):  # the seen ones are never decoded
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
                self.process_page(mapping, plan, None)

    def _retry_escrows(
        self, mapping: CompiledMapping, planner: Planner, source: Connector, seen: set[str]
    ) -> None:
        due = [
            row.source_id
            for row in self.state.due_escrows(mapping.key, self.ctx.now)
            if row.source_id not in seen
        ]
        trusted = mapping.key not in self.report.incomplete  # else an object not found may just be unreadable
        size = self.ctx.job.settings.page_size
        for start in range(0, len(due), size):
            ids = due[start : start + size]
            found = source.get(mapping.source_object, ids)
            if not trusted:
                ids = [i for i in ids if i in found]
            objects = [found.get(i) or DirectoryObject(mapping.source_object, i, deleted=True) for i in ids]
            plan = planner.plan_page(objects)
            handled = {p.source.id for p in plan.objects}
            self.process_page(mapping, plan, None)
            done = [i for i in ids if i not in handled]  # deleted and never linked: nothing left to do
            if done:
                clear = Batch()
                for source_id in done:
                    clear.clear_escrow(mapping.key, source_id)
                self.sink.commit(clear)

    # --- intents ---------------------------------------------------------------------------------------

    def resolve_intents(self) -> None:
        """The creates a crash left journaled (``engine.plan._intents`` says why after the objects phase)."""
        if not self.any_intents:
            return
        for mapping in self.ctx.mappings:
            if mapping.key in self.report.incomplete:
                continue  # a source object not read may still be there: its copy waits for a complete read
            decided = self.intent_decisions(mapping)
            if decided:
                self._apply_intents(mapping, decided)

    def intent_decisions(self, mapping: CompiledMapping) -> list[tuple[Intent, IntentDecision]]:
        """Every pending intent of ``mapping`` with its decision (reads the state, the source, the target)."""
        pending = self.state.intents(mapping.key)
        if not pending:
            return []
        ids = [intent.source_id for intent in pending]
        linked = set(self.state.links(mapping.key, ids))
        source = self.ctx.connectors[mapping.source_directory]
        skip = self.ctx.policy(mapping).skip_out_of_scope_deletions
        provisioned, spared = still_provisioned(mapping, source.get(mapping.source_object, ids), skip)
        settled = linked | provisioned | spared
        open_ = [i for i in pending if i.source_id not in settled]
        hits = self._intent_hits(mapping, open_) if open_ else {}
        claimed = self.state.linked_targets(mapping.key, {t for found in hits.values() for t in found})
        return [
            (
                intent,
                decide_intent(
                    intent.values,
                    linked=intent.source_id in linked,
                    provisioned=intent.source_id in provisioned,
                    hits=hits,
                    claimed=claimed,
                    spared=intent.source_id in spared,
                ),
            )
            for intent in pending
        ]

    def _intent_hits(
        self, mapping: CompiledMapping, intents: Sequence[Intent]
    ) -> dict[tuple[str, str], list[str]]:
        find = self.sink.find(mapping)
        asked: dict[str, set[str]] = {}
        for intent in intents:
            for attribute, value in intent.values:
                asked.setdefault(attribute, set()).add(value)
        hits: dict[tuple[str, str], list[str]] = {}
        for attribute, values in asked.items():
            for value, objects in find(mapping.target_object, attribute, sorted(values)).items():
                hits[(attribute, value)] = [obj.id for obj in objects]
        return hits

    def _apply_intents(
        self, mapping: CompiledMapping, decided: Sequence[tuple[Intent, IntentDecision]]
    ) -> None:
        """Stage the removals, drop what is settled, log both; one batch for the mapping."""
        removals = any(d.outcome is Outcome.REMOVE for _, d in decided)
        # A delete held by the guard in an earlier cycle keeps its intent until applied: not staged again.
        already = (
            {r.source_id for rows in self.state.iter_staged(mapping.key) for r in rows} if removals else set()
        )
        batch = Batch()
        log = self.ctx.log_context(mapping, self.report.id)
        for intent, decision in decided:
            if decision.outcome is Outcome.KEEP:
                continue
            op = intent_operation(mapping, intent.source_id, intent.values, decision)
            if decision.outcome is Outcome.REMOVE:
                if intent.source_id in already:
                    continue
                # Staged like any removal: the guard counts it, ``apply_staged`` exports and logs it, and its
                # ``Batch.unlink`` clears the intent in the same transaction.
                self._stage(batch, op)
                self.report.count(mapping.target_object, Action.DELETE)
            elif decision.outcome is Outcome.DROP:
                batch.clear_intent(mapping.key, intent.source_id)
                self.sink.log(batch, log, op, "skipped", code=Reason.UNCOMMITTED_CREATE)
            else:
                self.sink.log(
                    batch, log, op, "failure", error=decision.reason, code=Reason.UNCOMMITTED_CREATE
                )
        self.sink.commit(batch)

    # --- guard -----------------------------------------------------------------------------------------

    def guard(self) -> None:
        """The accidental-deletion guard over every removal staged so far (spec §D.5)."""
        total = self.state.count_staged()
        verdict = guard_verdict(total, self.ctx.delete_threshold, force=self.ctx.force_deletes)
        if verdict is not Verdict.QUARANTINE:
            deleted: dict[str, str] = {}
            if verdict is Verdict.APPLY:
                for mapping in self.ctx.mappings:
                    deleted.update(self.apply_staged(mapping))
            # And the deletions of a cycle that stopped (killed, or a directory failed) before this step
            # finished (recorded with each delete), whether or not this cycle deletes anything.
            for marker in self.sink.pending_exports(DELETED):
                deleted.setdefault(marker.source_id, marker.attributes[0] if marker.attributes else "")
            if deleted and not self.ctx.stopped():
                self.unreference(deleted)
                done = Batch()
                for source_id in deleted:
                    done.clear_export(DELETED, source_id)
                self.sink.commit(done)
            return
        self.report.quarantine = Reason.TOO_MANY_DELETES
        self.report.staged = total
        batch = Batch()
        for mapping in self.ctx.mappings:
            log = self.ctx.log_context(mapping, self.report.id)
            for removals in self.state.iter_staged(mapping.key):
                for removal in removals:
                    op = held(operation_from_json(removal.operation))
                    first = (mapping.key, removal.source_id) in self.staged_now
                    self.sink.held(batch, log, op, first=first)
        self.sink.commit(batch)

    def apply_staged(self, mapping: CompiledMapping, only: set[str] | None = None) -> dict[str, str]:
        """Export the removals held for ``mapping`` (all, or the source ids in ``only``); returns the objects
        deleted (source id -> target id)."""
        deleted: dict[str, str] = {}
        log = self.ctx.log_context(mapping, self.report.id)
        for removals in list(self.state.iter_staged(mapping.key)):
            batch = Batch()
            ops = [operation_from_json(r.operation) for r in removals if only is None or r.source_id in only]
            self.sink.journal_writes(mapping, [], ops, self.ctx.now)
            results = self.sink.export(mapping, ops)
            failures: list[tuple[PlannedOperation, Failure]] = []
            for op, result in zip(ops, results, strict=True):
                batch.unstage(mapping.key, op.source_id)
                batch.clear_export(mapping.key, op.source_id)
                if not result.ok:
                    failures.append((op, _rejected(result.error)))
                    continue
                if op.action is Action.DELETE:
                    batch.unlink(mapping.key, op.source_id)
                    deleted[op.source_id] = op.target_id or ""
                    # the target id rides as the marker's one "attribute"
                    batch.record_export(
                        DELETED, PendingExport(op.source_id, (op.target_id or "",), self.ctx.now)
                    )
                else:
                    link = Link(op.source_id, op.target_id or "", op.essence, None, True)
                    batch.link(mapping.key, link)
                batch.clear_escrow(mapping.key, op.source_id)
                self.sink.log(batch, log, op, "success")
                self.report.exported += 1
            self.escrow(batch, mapping, failures, log)
            self.sink.commit(batch)
        return deleted

    def unreference(self, deleted: Mapping[str, str]) -> None:
        """Objects whose references name objects just deleted from the target (source id -> target id) have
        their references resolved again, from their source values: the reference is cleared (a member
        removed) rather than left pointing at an object that is gone -- a disabled object's too. They are
        found in the source by the reference's source attribute, when the mapping takes it from one attribute
        (``[manager]``, ``[members]``), and in the target by the deleted target ids (an object whose source
        reference changed while its target was not updated, e.g. a disabled one), where the target can
        look them up (``Connector.find``; a target that cannot is not asked)."""
        size = self.ctx.job.settings.page_size
        wanted = sorted(deleted)
        gone = sorted(t for t in deleted.values() if t)
        for mapping in self.ctx.mappings:
            sources = {  # reference attribute -> the one source attribute it is taken from
                attribute.target: next(iter(attribute.expression.attribute_names))
                for attribute in mapping.references
                if attribute.expression is not None and len(attribute.expression.attribute_names) == 1
            }
            if not sources:
                continue
            source = self.ctx.connectors[mapping.source_directory]
            referrers: set[str] = set()
            for name in sorted(set(sources.values())):
                for start in range(0, len(wanted), size):
                    hits = source.find(mapping.source_object, name, wanted[start : start + size])
                    referrers.update(obj.id for objects in hits.values() for obj in objects)
            referrers.update(self._target_referrers(mapping, list(sources), gone))
            # (no deleted object is left out by its source id: that id may be linked again to a new target
            # object, e.g. a crash's copy deleted and the object created anew; an unlinked one has no link)
            ids = sorted(referrers)
            for start in range(0, len(ids), size):
                chunk = ids[start : start + size]
                links = self.state.links(mapping.key, chunk)
                objects = source.get(mapping.source_object, chunk)
                # Only their references are resolved again, and sent whatever the essence says (a disabled
                # object's essence may not hold them): the rest is unchanged.
                unknown = dict.fromkeys(sources, UNCONFIRMED)
                again = [
                    link._replace(
                        essence={**link.essence, **unknown},
                        pending_refs=_references_of(objects.get(link.source_id), sources),
                    )
                    for link in links.values()
                ]
                if again:
                    self.resolve_references(mapping, again)

    def _target_referrers(self, mapping: CompiledMapping, attributes: list[str], gone: list[str]) -> set[str]:
        """Source ids of ``mapping``'s linked objects whose target objects refer to these target ids."""
        if not gone:
            return set()
        find = self.sink.find(mapping)
        found: set[str] = set()
        size = self.ctx.job.settings.page_size
        for attribute in attributes:
            for start in range(0, len(gone), size):
                try:
                    hits = find(mapping.target_object, attribute, gone[start : start + size])
                except ConnectorError:
                    break  # this target cannot look objects up by a reference
                found.update(obj.id for objects in hits.values() for obj in objects)
        return {link.source_id for link in self.state.links_by_target(mapping.key, sorted(found))}

    # --- references ------------------------------------------------------------------------------------

    def references(self, mapping: CompiledMapping) -> None:
        """Translate and export the references of ``mapping``'s dirty links (spec §D.7, decision 9).

        Only dirty links are read: those the objects phase wrote with pending references, and waiting ones
        a page has since woken by linking or unlinking an object they name. What stays unresolved is
        settled as waiting on the source ids it names, so it costs nothing until one of them is linked,
        relinked or unlinked -- the only events that can change how it resolves. A link whose export failed
        is not rewritten: it stays dirty and is tried again next cycle (and escrowed)."""
        for links in self.state.iter_dirty_links(mapping.key):
            self.resolve_references(mapping, links)

    def resolve_references(self, mapping: CompiledMapping, links: Sequence[Link]) -> None:
        """The references step for these links: export what resolves, settle what waits; one batch."""
        keys = self.ctx.reference_keys(mapping)
        log = self.ctx.log_context(mapping, self.report.id)
        wanted = set().union(*(referenced_ids(link.pending_refs or {}) for link in links))
        targets = self.state.target_ids(keys, wanted)
        batch = Batch()
        ops: list[tuple[Link, PlannedOperation, set[str]]] = []
        for link in links:
            result = resolve(
                mapping, link.source_id, link.target_id, link.pending_refs or {}, link.essence, targets
            )
            remaining = dict(result.remaining) if result.remaining else None
            updated = Link(link.source_id, link.target_id, result.essence, remaining, link.disabled)
            named = referenced_ids(remaining or {})  # (un)linking any of them may change the result
            if result.operation is not None:
                ops.append((updated, result.operation, named))
            else:
                batch.settle_references(mapping.key, updated, named)
        self.sink.journal_writes(mapping, [], [op for _, op, _ in ops], self.ctx.now)
        results = self.sink.export(mapping, [op for _, op, _ in ops])
        failures: list[tuple[PlannedOperation, Failure]] = []
        for (updated, op, named), outcome in zip(ops, results, strict=True):
            batch.clear_export(mapping.key, op.source_id)
            if outcome.ok:
                batch.settle_references(mapping.key, updated, named)
                self.sink.log(batch, log, op, "success")
                self.report.exported += 1
                self.report.count(mapping.target_object, "referenceUpdate")
            else:
                failures.append((op, _rejected(outcome.error)))
        self.escrow(batch, mapping, failures, log)
        self.sink.commit(batch)
