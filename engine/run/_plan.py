"""``Plan``: what a dry-run shows — the operations a cycle would perform, in the order it would, each kept
with only what a plan shows (action, object, changes, reason), so a large plan stays small in memory.

Unchanged objects are counted, not listed. Removals appear where the cycle exports them, after the guard
(as ``stagedDelete`` when the guard would hold them). The update that exports references once their
objects exist is shown with the object's own create or update when the plan has one (a new group with its
new members), else on its own (reason ``ReferenceResolution``). References to objects the plan creates read
``(new <type> for <source id>)``.

``PlanStream`` is the same plan written as it is made (one JSON line per operation, the references' updates
on lines of their own), for dry-runs of any size in bounded memory.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Protocol, TextIO

import orjson

from ..plan import NO_VALUES, Action, AttributeChange, PlannedOperation, Reason

_ORDER = ("create", "update", "disable", "delete", "stagedDelete", "skip", "fail")
_CREATE, _UPDATE = Action.CREATE, Action.UPDATE  # (module constants: an enum's members are class lookups)


@dataclass
class Plan:
    operations: list[PlannedOperation] = field(default_factory=list)
    unchanged: int = 0
    full: bool = False
    _writes: dict[str, dict[str, int]] = field(default_factory=dict, repr=False, compare=False)
    """Mapping key -> source id -> index of the object's create or update (where the update that exports its
    references once their objects exist is shown)."""

    def add(self, op: PlannedOperation) -> None:
        action = op.action
        if action is _UPDATE and op.reason == Reason.REFERENCE_RESOLUTION:
            index = self._writes.get(op.mapping_key, {}).get(op.source_id)
            if index is not None:
                self.operations[index] = shown(self.operations[index], op.changes)
                return
        if action is _CREATE or action is _UPDATE:
            writes = self._writes.get(op.mapping_key)
            if writes is None:
                writes = self._writes[op.mapping_key] = {}
            writes[op.source_id] = len(self.operations)
        self.operations.append(shown(op))

    def summary(self) -> dict[str, Any]:
        totals = Counter(op.action.value for op in self.operations)
        by_type: dict[str, Counter[str]] = {}
        for op in self.operations:
            by_type.setdefault(op.object_type, Counter())[op.action.value] += 1
        data: dict[str, Any] = {name: totals.get(name, 0) for name in _ORDER}
        data["unchanged"] = self.unchanged
        data["full"] = self.full
        data["byObjectType"] = {name: dict(counter) for name, counter in by_type.items()}
        return data

    def to_json(self) -> dict[str, Any]:
        return {"operations": [op.to_json() for op in self.operations], "summary": self.summary()}


class PlanSink(Protocol):
    """Where a dry-run puts its operations: a ``Plan`` (kept, folded) or a ``PlanStream`` (written)."""

    unchanged: int
    full: bool

    def add(self, op: PlannedOperation) -> None: ...

    def summary(self) -> dict[str, Any]: ...


_ENCODE = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=str).encode


def _line(value: object) -> str:
    """One JSON line's text: orjson (three to four times ``json`` on a plan's operations), else ``json``
    for what orjson refuses (an integer past 64 bits)."""
    try:
        return orjson.dumps(value, default=str).decode()
    except TypeError:  # orjson.JSONEncodeError
        return _ENCODE(value)


class PlanStream:
    """A plan written as it is made, for a dry-run of any size in bounded memory (``idsync dry-run
    --output FILE``): each operation one line of JSON (``PlannedOperation.to_json``) on ``out`` as soon as
    the driver has it; nothing is kept but counts and the first ``examples`` operations of each object type
    and action (``--summary``).

    Unlike ``Plan``, the update that exports an object's references once their objects exist is not folded
    into the object's create or update, which was written pages earlier: it is its own line (action
    ``update``, reason ``ReferenceResolution``), where the driver plans it. Folding the lines by
    (objectType, sourceId) as ``Plan.add`` does gives ``Plan``'s operations, and so what the cycle logs
    (``tests/engine/run/test_plan_predicts.py`` checks both). In the summary these updates are counted
    apart, as ``referenceUpdate`` (the cycle report's name)."""

    def __init__(self, out: TextIO | None = None, examples: int = 3) -> None:
        self.out = out
        self.unchanged = 0
        self.full = False
        self.written = 0
        self.counts: dict[str, Counter[str]] = {}
        self.examples: dict[tuple[str, str], list[PlannedOperation]] = {}
        self._keep = examples

    def add(self, op: PlannedOperation) -> None:
        action = op.action.value
        if op.reason == Reason.REFERENCE_RESOLUTION and op.action is Action.UPDATE:
            action = "referenceUpdate"
        counts = self.counts.get(op.object_type)
        if counts is None:
            counts = self.counts[op.object_type] = Counter()
        counts[action] += 1
        if counts[action] <= self._keep:
            self.examples.setdefault((op.object_type, action), []).append(shown(op))
        if self.out is not None:
            self.out.write(_line(op.to_json()))
            self.out.write("\n")
        self.written += 1

    def summary(self) -> dict[str, Any]:
        """``Plan.summary``'s shape, with ``referenceUpdate`` counted apart."""
        totals: Counter[str] = Counter()
        for counter in self.counts.values():
            totals.update(counter)
        data: dict[str, Any] = {name: totals.get(name, 0) for name in (*_ORDER, "referenceUpdate")}
        data["unchanged"] = self.unchanged
        data["full"] = self.full
        data["byObjectType"] = {name: dict(counter) for name, counter in self.counts.items()}
        return data


def shown(op: PlannedOperation, more: tuple[AttributeChange, ...] = ()) -> PlannedOperation:
    """The part of ``op`` a plan keeps, with ``more`` changes (the references' update of the object)."""
    changes = op.changes
    if more:
        merged = list(changes)
        at = {change.name: index for index, change in enumerate(merged)}
        for change in more:  # an attribute changed twice shows its first old value and its last new one
            index = at.get(change.name)
            if index is not None:
                merged[index] = AttributeChange(change.name, merged[index].old, change.new)
            else:
                merged.append(change)
        changes = tuple(merged)
    elif not op.modifications and not op.essence:
        return op
    # ``op`` with ``changes``, no modifications and no essence (fields 5 to 7), through ``tuple.__new__``:
    # ``_replace`` and the named tuple's constructor are Python functions, and a plan makes one per object
    return tuple.__new__(PlannedOperation, (*op[:5], changes, (), NO_VALUES, *op[8:]))
