"""The end of a cycle: the accidental-deletion guard with the export of staged removals, and the references
phase. Functions over a running ``Cycle`` (split from ``_cycle`` to keep modules small)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._state_types import Batch, Link
from ._model import Action, Operation, Reason
from ._records import log_record, operation_from_json
from ._references import referenced_ids, resolve
from ._rules import CompiledMapping

if TYPE_CHECKING:
    from ._cycle import Cycle


def guard(cycle: Cycle) -> None:
    """The accidental-deletion guard over every removal staged so far (spec §D.5)."""
    total = cycle.store.count_staged()
    if total == 0:
        return
    threshold = cycle.ctx.job.settings.delete_threshold
    if cycle.ctx.force_deletes or threshold is None or total < threshold:
        for mapping in cycle.ctx.mappings:
            apply_staged(cycle, mapping)
        return
    cycle.report.quarantine = Reason.TOO_MANY_DELETES
    cycle.report.staged = total
    batch = Batch()
    staged_now = set(cycle.staged_now)  # earlier cycles logged theirs already
    for mapping in cycle.ctx.mappings:
        log = cycle.ctx.log_context(mapping, cycle.report.id)
        for removals in cycle.store.iter_staged(mapping.key):
            for removal in removals:
                if (mapping.key, removal.source_id) in staged_now:
                    op = operation_from_json(removal.operation)
                    held = op._replace(
                        action=Action.STAGED_DELETE, modifications=(), reason=Reason.TOO_MANY_DELETES
                    )
                    batch.logs.append(log_record(log, held, when=cycle.ctx.now, status="skipped"))
    cycle.store.commit(batch)


def apply_staged(cycle: Cycle, mapping: CompiledMapping, only: set[str] | None = None) -> None:
    """Export the removals held for ``mapping`` (all, or the source ids in ``only``)."""
    exporter = cycle.ctx.exporter(mapping)
    log = cycle.ctx.log_context(mapping, cycle.report.id)
    for removals in list(cycle.store.iter_staged(mapping.key)):
        batch = Batch()
        ops = [operation_from_json(r.operation) for r in removals if only is None or r.source_id in only]
        results = exporter.apply(ops)
        failures: list[tuple[Operation, str]] = []
        for op, result in zip(ops, results, strict=True):
            batch.unstage(mapping.key, op.source_id)
            if not result.ok:
                failures.append((op, f"{Reason.TARGET_REJECTED}: {result.error}"))
                continue
            if op.action is Action.DELETE:
                batch.unlink(mapping.key, op.source_id)
            else:
                batch.link(mapping.key, Link(op.source_id, op.target_id or "", dict(op.essence), None, True))
            batch.clear_escrow(mapping.key, op.source_id)
            batch.logs.append(log_record(log, op, when=cycle.ctx.now, status="success"))
            cycle.report.exported += 1
        cycle.escrow(batch, mapping, failures, log)
        cycle.store.commit(batch)


def references(cycle: Cycle, mapping: CompiledMapping) -> None:
    """Translate and export the references of ``mapping``'s dirty links (spec §D.7, decision 9).

    Only dirty links are read (``StateStore.iter_dirty_links``): those the objects phase wrote with pending
    references, and waiting ones a page has since woken by linking or unlinking an object they name. What
    stays unresolved is settled as waiting on the source ids it names, so it costs nothing until one of
    them is linked, relinked or unlinked -- the only events that can change how it resolves (the same
    result as trying every pending link every cycle). A link whose export failed is not rewritten: it
    stays dirty and is tried again next cycle (and escrowed)."""
    targets_of = cycle.ctx.reference_targets(mapping)
    exporter = cycle.ctx.exporter(mapping)
    log = cycle.ctx.log_context(mapping, cycle.report.id)
    for links in cycle.store.iter_dirty_links(mapping.key):
        wanted = set().union(*(referenced_ids(link.pending_refs or {}) for link in links))
        targets = targets_of(wanted)
        batch = Batch()
        ops: list[tuple[Link, Operation, set[str]]] = []
        for link in links:
            result = resolve(
                mapping, link.source_id, link.target_id, link.pending_refs or {}, link.essence, targets
            )
            remaining = dict(result.remaining) if result.remaining else None
            updated = Link(link.source_id, link.target_id, dict(result.essence), remaining, link.disabled)
            named = referenced_ids(remaining or {})  # (un)linking any of them may change the result
            if result.operation is not None:
                ops.append((updated, result.operation, named))
            else:
                batch.settle_references(mapping.key, updated, named)
        results = exporter.apply([op for _, op, _ in ops])
        failures: list[tuple[Operation, str]] = []
        for (updated, op, named), outcome in zip(ops, results, strict=True):
            if outcome.ok:
                batch.settle_references(mapping.key, updated, named)
                batch.logs.append(log_record(log, op, when=cycle.ctx.now, status="success"))
                cycle.report.exported += 1
                cycle.report.count(mapping.target_object, "referenceUpdate")
            else:
                failures.append((op, f"{Reason.TARGET_REJECTED}: {outcome.error}"))
        cycle.escrow(batch, mapping, failures, log)
        cycle.store.commit(batch)
