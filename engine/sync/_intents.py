"""The create journal: no orphan in the target after a crash between a create and its state commit.

Before a page's creates are exported the cycle journals one ``Intent`` per create (source anchor, the
matching attribute values that find the created object again, the time) in its own committed transaction;
the transaction that commits the object's link clears it (as does a rejected create: nothing was written).
An intent still pending later means the process died in between, so the target may hold an unlinked copy.

Resolution runs once per cycle, after the objects phase and before the deletion guard. After the objects
phase rather than before it because that phase re-plans every source object it reads and unstages their
held removals (the plan stages them again when still due), which would drop a delete staged for an
out-of-scope object; and because by then matching has linked every intent whose source object is still
provisioned (the link's commit cleared the intent). For each intent left:

* the mapping has a link for the source object: stale, drop it;
* the source object exists and is in scope: keep it (matching links it; a failure is escrowed as usual);
* the source object exists, merely out of scope, and the job has ``SkipOutOfScopeDeletions``: drop it and
  leave the object (logged) — without the crash it would have been linked and then kept, as the setting asks;
* otherwise look the recorded values up in the target, in priority order (the first value with a hit
  decides, as in matching): no hit means the create never reached the target (drop, logged); one hit not
  linked to another source object is staged as a DELETE (reason ``UncommittedCreate``), so it counts
  toward ``deleteThreshold`` like any other removal; one hit that another source object has since been
  matched to is left alone (drop, logged); several hits are ambiguous (kept, logged as a failure).

Decisions written down here because the spec is silent: the object is deleted even when the mapping's
flow types leave out Delete and the target could soft-delete — it was never legitimately provisioned,
this undoes idsync's own half-done write. The intent of a staged delete stays until the delete is applied
(``Batch.unlink`` clears it), so a restart with scope ``Full`` or ``Watermark`` (which clear held removals)
or ``ConnectorDataStore`` loses nothing: restarts never clear intents, and the next cycle stages the
delete again.
"""

from __future__ import annotations

import enum
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from connectors import DirectoryObject

from .._state_types import Batch, Intent, StagedRemoval
from ._map import derive
from ._model import Action, Operation
from ._planner import PlannedObject
from ._records import log_record, operation_to_json
from ._rules import CompiledMapping

if TYPE_CHECKING:
    from ._cycle import Cycle, CycleContext

UNCOMMITTED_CREATE = "UncommittedCreate"


class Outcome(enum.StrEnum):
    KEEP = "keep"
    DROP = "drop"
    REMOVE = "remove"
    AMBIGUOUS = "ambiguous"


@dataclass(frozen=True, slots=True)
class IntentDecision:
    outcome: Outcome
    target_id: str | None = None
    reason: str = ""


def intent_for(planned: PlannedObject, now: datetime) -> Intent:
    """The journal entry for a planned create: every matching value tried found nothing, so each of them
    is a value the created object carries and can be found by."""
    tried = planned.match.tried if planned.match is not None else ()
    return Intent(planned.source.id, tuple((attribute, value) for attribute, value, _ in tried), now)


def first_hits(
    intent: Intent, hits: Mapping[tuple[str, str], Sequence[str]]
) -> tuple[tuple[str, str] | None, Sequence[str]]:
    """The first recorded (attribute, value) with target hits, and those target ids (matching's order)."""
    for pair in intent.values:
        found = hits.get(pair, ())
        if found:
            return pair, found
    return None, ()


def decide_intent(
    intent: Intent,
    *,
    linked: bool,
    provisioned: bool,
    hits: Mapping[tuple[str, str], Sequence[str]],
    claimed: Collection[str],
    spared: bool = False,
) -> IntentDecision:
    """What to do with one pending intent (pure).

    ``provisioned``: the source object exists, is in scope and not soft-deleted; ``hits``: target ids found
    per recorded value; ``claimed``: the target ids among them that a link points at; ``spared``: the source
    object is out of scope only and the job skips out-of-scope deletions."""
    if linked:
        return IntentDecision(Outcome.DROP, reason=f"{UNCOMMITTED_CREATE}: already linked")
    if provisioned:
        return IntentDecision(Outcome.KEEP)
    if spared:
        return IntentDecision(
            Outcome.DROP,
            reason=f"{UNCOMMITTED_CREATE}: the source object left scope and out-of-scope deletions are "
            "skipped (SkipOutOfScopeDeletions); any object created for it is left in the target",
        )
    pair, found = first_hits(intent, hits)
    if pair is None:
        what = "no matching value was recorded" if not intent.values else "no target object has "
        what += " or ".join(f"{a} = {v!r}" for a, v in intent.values)
        return IntentDecision(
            Outcome.DROP, reason=f"{UNCOMMITTED_CREATE}: the create never reached the target ({what})"
        )
    attribute, value = pair
    if len(found) > 1:
        return IntentDecision(
            Outcome.AMBIGUOUS,
            reason=f"{UNCOMMITTED_CREATE}: {len(found)} target objects have {attribute} = {value!r} "
            f"({', '.join(sorted(found))}); remove the one idsync created by hand",
        )
    if found[0] in claimed:
        return IntentDecision(
            Outcome.DROP,
            target_id=found[0],
            reason=f"{UNCOMMITTED_CREATE}: the target object with {attribute} = {value!r} is now linked "
            "to another source object; left alone",
        )
    return IntentDecision(
        Outcome.REMOVE,
        target_id=found[0],
        reason=f"{UNCOMMITTED_CREATE}: created by a cycle that stopped before recording it, and its source "
        f"object is gone or out of scope ({attribute} = {value!r})",
    )


def resolve_intents(cycle: Cycle) -> None:
    """Resolve the pending intents of every mapping (see the module docstring)."""
    if not cycle.any_intents:
        return
    for mapping in cycle.ctx.mappings:
        decided = intent_decisions(cycle.ctx, mapping)
        if decided:
            _commit(cycle, mapping, decided)


def planned_intents(ctx: CycleContext) -> list[Operation]:
    """What resolving the pending intents would do, for the dry-run (reads only)."""
    if ctx.store.count_intents() == 0:
        return []
    return [
        intent_operation(mapping, intent, decision)
        for mapping in ctx.mappings
        for intent, decision in intent_decisions(ctx, mapping)
        if decision.outcome is not Outcome.KEEP
    ]


def intent_decisions(ctx: CycleContext, mapping: CompiledMapping) -> list[tuple[Intent, IntentDecision]]:
    """Every pending intent of ``mapping`` with its decision; reads the state, the source and the target."""
    pending = ctx.store.intents(mapping.key)
    if not pending:
        return []
    ids = [intent.source_id for intent in pending]
    linked = set(ctx.store.links(mapping.key, ids))
    source = ctx.connectors[mapping.source_directory]
    skip = ctx.policy(mapping).skip_out_of_scope_deletions
    provisioned, spared = _sources(mapping, source.get(mapping.source_object, ids), skip)
    settled = linked | provisioned | spared
    open_ = [i for i in pending if i.source_id not in settled]
    hits = _lookup(ctx, mapping, open_) if open_ else {}
    claimed = ctx.store.linked_targets(mapping.key, {t for found in hits.values() for t in found})
    return [
        (
            intent,
            decide_intent(
                intent,
                linked=intent.source_id in linked,
                provisioned=intent.source_id in provisioned,
                hits=hits,
                claimed=claimed,
                spared=intent.source_id in spared,
            ),
        )
        for intent in pending
    ]


def intent_operation(mapping: CompiledMapping, intent: Intent, decision: IntentDecision) -> Operation:
    """The operation logged (and, for a removal, staged) for a decision: DELETE, SKIP (dropped) or FAIL."""
    actions = {Outcome.REMOVE: Action.DELETE, Outcome.AMBIGUOUS: Action.FAIL}
    return Operation(
        actions.get(decision.outcome, Action.SKIP),
        mapping.key,
        mapping.target_object,
        intent.source_id,
        target_id=decision.target_id,
        reason=decision.reason,
        display_name=intent.values[0][1] if intent.values else None,  # the name it was created under
        source_type=mapping.source_object,
    )


def _sources(
    mapping: CompiledMapping, found: Mapping[str, DirectoryObject], skip_out_of_scope: bool
) -> tuple[set[str], set[str]]:
    """The source ids still provisioned, and those spared by ``SkipOutOfScopeDeletions``."""
    provisioned: set[str] = set()
    spared: set[str] = set()
    for source_id, obj in found.items():
        if obj.deleted:
            continue
        state = derive(mapping, obj)
        if state.handled and not state.is_soft_deleted:
            provisioned.add(source_id)
        elif skip_out_of_scope and not state.in_scope and not (state.disabled or state.soft_deleted):
            spared.add(source_id)
    return provisioned, spared


def _lookup(
    ctx: CycleContext, mapping: CompiledMapping, intents: Sequence[Intent]
) -> dict[tuple[str, str], list[str]]:
    target = ctx.connectors[mapping.target_directory]
    asked: dict[str, set[str]] = {}
    for intent in intents:
        for attribute, value in intent.values:
            asked.setdefault(attribute, set()).add(value)
    hits: dict[tuple[str, str], list[str]] = {}
    for attribute, values in asked.items():
        for value, objects in target.find(mapping.target_object, attribute, sorted(values)).items():
            hits[(attribute, value)] = [obj.id for obj in objects]
    return hits


def _commit(cycle: Cycle, mapping: CompiledMapping, decided: Sequence[tuple[Intent, IntentDecision]]) -> None:
    """Stage the removals, drop what is settled, log both; one transaction for the mapping."""
    removals = any(d.outcome is Outcome.REMOVE for _, d in decided)
    # A delete held by the guard in an earlier cycle keeps its intent until applied: not staged again.
    held = {r.source_id for rows in cycle.store.iter_staged(mapping.key) for r in rows} if removals else set()
    batch = Batch()
    log = cycle.ctx.log_context(mapping, cycle.report.id)
    for intent, decision in decided:
        if decision.outcome is Outcome.KEEP:
            continue
        op = intent_operation(mapping, intent, decision)
        if decision.outcome is Outcome.REMOVE:
            if intent.source_id in held:
                continue
            # Staged like any removal: the guard counts it, ``apply_staged`` exports and logs it, and its
            # ``Batch.unlink`` clears the intent in the same transaction.
            batch.stage(mapping.key, StagedRemoval(intent.source_id, operation_to_json(op)))
            cycle.staged_now.append((mapping.key, intent.source_id))
            cycle.report.count(mapping.target_object, Action.DELETE)
            cycle.any_staged = True
        elif decision.outcome is Outcome.DROP:
            batch.clear_intent(mapping.key, intent.source_id)
            batch.logs.append(log_record(log, op, when=cycle.ctx.now, status="skipped"))
        else:
            batch.logs.append(
                log_record(log, op, when=cycle.ctx.now, status="failure", error=decision.reason)
            )
    cycle.store.commit(batch)
