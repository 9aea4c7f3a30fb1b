"""The cycle's pure policies: the deletion guard's verdict, the escrow schedule, the watermark's advance.

``engine.run``'s driver asks these and acts on the answer; nothing here reads or writes anything.

* Guard (spec §D.5): removals are staged during the objects phase and counted for the whole cycle; at or
  above ``deleteThreshold`` none is exported and the job is quarantined (``TooManyDeletes``), unless a
  restart with ``ForceDeletes`` asked for them.
  ``deleteThresholdPercent`` (not Entra's, off by default) holds them too at that share of the objects
  linked when the cycle starts (``delete_threshold``: the lower of the two).
* Escrow (spec §D.6): a failed object is retried after the job's ``escrowRetryHours`` (6 h, 12 h, then daily
  by default) and given up ``escrowMaxDays`` (28) after its first failure.
* Watermark (DESIGN "habits"): never moves backwards; a page that brings none, or the same one, writes none.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import NamedTuple

from connectors import Watermark

from ._model import Action, PlannedOperation, Reason


class Verdict(enum.StrEnum):
    NOTHING = "nothing"
    """No removal is staged."""
    APPLY = "apply"
    """Export every staged removal."""
    QUARANTINE = "quarantine"
    """Export none; quarantine the job (TooManyDeletes) until a restart with ForceDeletes."""


def guard_verdict(staged: int, threshold: int | None, *, force: bool) -> Verdict:
    """What the deletion guard does with ``staged`` removals (this cycle's and those held before)."""
    if staged == 0:
        return Verdict.NOTHING
    if force or threshold is None or staged < threshold:
        return Verdict.APPLY
    return Verdict.QUARANTINE


def delete_threshold(absolute: int | None, percent: float | None, linked: int) -> int | None:
    """The guard's threshold: ``deleteThreshold`` (``absolute``), or ``percent`` of the ``linked`` objects
    (rounded up, at least 1) when that is lower; None: no threshold at all."""
    if percent is None:
        return absolute
    share = max(1, math.ceil(percent * linked / 100))
    return share if absolute is None else min(absolute, share)


def held(op: PlannedOperation) -> PlannedOperation:
    """A removal the guard holds back, as it is logged and shown (it writes nothing)."""
    return op._replace(
        action=Action.STAGED_DELETE,
        modifications=(),
        reason=f"{Reason.TOO_MANY_DELETES} ({op.action.value}: {op.reason})",
    )


class EscrowAttempt(NamedTuple):
    attempts: int
    first_failure: datetime
    next_attempt: datetime


def escrow_schedule(
    previous: tuple[int, datetime] | None,
    now: datetime,
    retry_hours: Sequence[float],
    max_days: float,
) -> EscrowAttempt | None:
    """The escrow of an object failing now, after ``previous`` (attempts, first failure) if it failed
    before; None when it has failed for longer than ``max_days``: given up (the escrow is cleared)."""
    attempts, first = (previous[0] + 1, previous[1]) if previous else (1, now)
    if now - first > timedelta(days=max_days):
        return None
    hours = retry_hours[min(attempts, len(retry_hours)) - 1]
    return EscrowAttempt(attempts, first, now + timedelta(hours=hours))


def advance_watermark(previous: Watermark | None, reached: Watermark | None) -> Watermark | None:
    """The watermark to store once a page that reached ``reached`` is committed, or None: keep ``previous``
    (no watermark, the same one, or one behind it)."""
    if reached is None or previous == reached:
        return None
    if previous is not None and not previous.is_before_or_at(reached):
        return None
    return reached
