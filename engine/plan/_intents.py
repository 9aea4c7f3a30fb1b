"""The create journal's decisions (pure): no orphan in the target after a crash between a create and its
state commit. ``engine.run`` journals the intents, reads what these decisions need and applies them.

Before a page's creates are exported the cycle journals one ``Intent`` per create (source anchor, the
matching attribute values that find the created object again, the time) in its own committed transaction;
the transaction that commits the object's link clears it (as does a rejected create: nothing was written).
An intent still pending later means the process died in between, so the target may hold an unlinked copy.

Resolution runs once per cycle (``engine.run``'s driver), after the objects phase and before the guard:
after, because that phase re-plans every source object it reads and unstages their held removals (the plan
stages them again when still due), which would drop a delete staged for an out-of-scope object; and
because by then matching has linked every intent whose source object is still provisioned (the link's
commit cleared the intent). For each intent left:

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

from connectors import DirectoryObject

from ._map import derive
from ._model import Action, PlannedOperation, Reason
from ._planner import PlannedObject
from ._rules import CompiledMapping

Values = Sequence[tuple[str, str]]
"""An intent's recorded (matching attribute, value) pairs, in matching's priority order."""


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


def journal_values(planned: PlannedObject) -> tuple[tuple[str, str], ...]:
    """What to journal for a planned create: every matching value tried found nothing, so each of them is a
    value the created object carries and can be found by."""
    tried = planned.match.tried if planned.match is not None else ()
    return tuple((attribute, value) for attribute, value, _ in tried)


def first_hits(
    values: Values, hits: Mapping[tuple[str, str], Sequence[str]]
) -> tuple[tuple[str, str] | None, Sequence[str]]:
    """The first recorded (attribute, value) with target hits, and those target ids (matching's order)."""
    for pair in values:
        found = hits.get(pair, ())
        if found:
            return pair, found
    return None, ()


def decide_intent(
    values: Values,
    *,
    linked: bool,
    provisioned: bool,
    hits: Mapping[tuple[str, str], Sequence[str]],
    claimed: Collection[str],
    spared: bool = False,
) -> IntentDecision:
    """What to do with one pending intent whose recorded matching values are ``values``.

    ``provisioned``: the source object exists, is in scope and not soft-deleted; ``hits``: target ids found
    per recorded value; ``claimed``: the target ids among them that a link points at; ``spared``: the source
    object is out of scope only and the job skips out-of-scope deletions."""
    code = Reason.UNCOMMITTED_CREATE
    if linked:
        return IntentDecision(Outcome.DROP, reason=f"{code}: already linked")
    if provisioned:
        return IntentDecision(Outcome.KEEP)
    if spared:
        return IntentDecision(
            Outcome.DROP,
            reason=f"{code}: the source object left scope and out-of-scope deletions are "
            "skipped (SkipOutOfScopeDeletions); any object created for it is left in the target",
        )
    pair, found = first_hits(values, hits)
    if pair is None:
        what = "no matching value was recorded" if not values else "no target object has "
        what += " or ".join(f"{a} = {v!r}" for a, v in values)
        return IntentDecision(Outcome.DROP, reason=f"{code}: the create never reached the target ({what})")
    attribute, value = pair
    if len(found) > 1:
        return IntentDecision(
            Outcome.AMBIGUOUS,
            reason=f"{code}: {len(found)} target objects have {attribute} = {value!r} "
            f"({', '.join(sorted(found))}); remove the one idsync created by hand",
        )
    if found[0] in claimed:
        return IntentDecision(
            Outcome.DROP,
            target_id=found[0],
            reason=f"{code}: the target object with {attribute} = {value!r} is now linked "
            "to another source object; left alone",
        )
    return IntentDecision(
        Outcome.REMOVE,
        target_id=found[0],
        reason=f"{code}: created by a cycle that stopped before recording it, and its source "
        f"object is gone or out of scope ({attribute} = {value!r})",
    )


def intent_operation(
    mapping: CompiledMapping, source_id: str, values: Values, decision: IntentDecision
) -> PlannedOperation:
    """The operation logged (and, for a removal, staged) for a decision: DELETE, SKIP (dropped) or FAIL."""
    actions = {Outcome.REMOVE: Action.DELETE, Outcome.AMBIGUOUS: Action.FAIL}
    action = actions.get(decision.outcome, Action.SKIP)
    return PlannedOperation(
        action,
        mapping.key,
        mapping.target_object,
        source_id,
        target_id=decision.target_id,
        reason=decision.reason,
        display_name=values[0][1] if values else None,  # the name it was created under
        source_type=mapping.source_object,
        error=Reason.UNCOMMITTED_CREATE if action is Action.FAIL else None,
    )


def still_provisioned(
    mapping: CompiledMapping, found: Mapping[str, DirectoryObject], skip_out_of_scope: bool
) -> tuple[set[str], set[str]]:
    """Of the source objects ``found``: the ids still provisioned, and those spared by
    ``SkipOutOfScopeDeletions`` (out of scope only)."""
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
