"""The dry-run: the whole plan of a cycle, computed with the same planner, writing nothing anywhere.

Neither the target nor the state is written (the source's data-store updates are dropped), so a schema
can be tried fully offline against a snapshot file. Removals count against ``deleteThreshold`` like in a
real cycle (together with removals already held by the guard) and show as ``stagedDelete`` when they
reach it, including the deletes of creates a crash left unrecorded. References to objects the plan
would create show as ``(new <type> for <source id>)``.
Unchanged objects are not listed, only counted (``summary.unchanged``).

Since nothing is written, what the dry-run finds empty as it starts stays empty: with no link stored it asks
the state nothing per page, and a target that counts no object of a type (``Connector.count``) is not asked
for matches. Its operations keep only what a plan shows (``Plan``; creates never carry more).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from connectors import DirectoryObject

from .._state_types import Link
from ._cycle import CycleContext, _StoreView
from ._decide import decide_delete
from ._intents import planned_intents
from ._model import NO_VALUES, Action, AttributeChange, Operation, Reason
from ._planner import PlannedObject, Planner
from ._records import operation_from_json
from ._references import REASON as REFERENCE_REASON
from ._references import reference_diff, referenced_ids
from ._rules import CompiledMapping

_ORDER = ("create", "update", "disable", "delete", "stagedDelete", "skip", "fail")


@dataclass
class Plan:
    """A cycle's operations (unchanged objects only counted). Each operation keeps what a plan shows (action,
    object, changes, reason): its connector modifications and the values it would leave are dropped, so a
    large plan stays small in memory."""

    operations: list[Operation] = field(default_factory=list)
    unchanged: int = 0
    full: bool = False

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


@dataclass
class _Pending:
    target_id: str
    essence: Mapping[str, Any]
    refs: Mapping[str, Any]
    index: int | None
    display_name: str | None


class DryRun:
    def __init__(self, ctx: CycleContext, keep: Callable[[], None] = lambda: None) -> None:
        self.ctx = ctx
        self.keep = keep
        self.plan = Plan()
        self.pending: dict[str, dict[str, _Pending]] = {}
        self.creates: dict[str, str] = {}
        # Links the real cycle will have removed by its references phase (deletes applied by the guard).
        self.inactive: set[str] = set()
        self.linked: set[str] = set()  # unlinked objects matched to a target object (linked by the cycle)
        self.has_links = bool(ctx.store.count_links())  # links do not change during a dry-run

    def run(self, full: bool) -> Plan:
        self.plan.full = full
        for mapping in self.ctx.mappings:
            self._objects(mapping, full)
        self.plan.operations.extend(planned_intents(self.ctx))  # a crash's unlinked creates (_intents)
        self._guard()
        for mapping in self.ctx.mappings:
            if mapping.references:
                self._references(mapping)
        return self.plan

    def _objects(self, mapping: CompiledMapping, full: bool) -> None:
        store = self.ctx.store
        since = None if full else store.watermark(mapping.key)
        self.plan.full = self.plan.full or since is None
        source = self.ctx.connectors[mapping.source_directory]
        # Links do not change during a dry-run: with none (an initial dry-run) nothing resolves at plan time,
        # and the references are all worked out at the end (against the creates too), without a query a page.
        planner = self.ctx.planner(mapping, linked=self.has_links, shown_only=True)
        seen: set[str] = set()
        # A full read needs no data store: its updates would be dropped (nothing is written), and without
        # one the source has no fingerprints to compute.
        view = _StoreView(store, mapping.key) if since is not None else None
        for page in source.read(
            mapping.source_object, since, page_size=self.ctx.job.settings.page_size, store=view
        ):
            seen.update(obj.id for obj in page.objects)
            for planned in planner.plan_page(page.objects).objects:
                self._add(mapping, planned)
            self.keep()  # the plan so far is kept: out of the garbage collector's sight (``_gc.keeping``)
        self._retry_escrows(mapping, planner, seen)
        if since is None:
            for links in store.iter_links(mapping.key, skip=seen):  # the seen ones are never decoded
                for link in links:
                    if link.source_id not in seen:
                        self._add(
                            mapping,
                            PlannedObject(
                                DirectoryObject(mapping.source_object, link.source_id, deleted=True),
                                decide_delete(mapping, link, Reason.HARD_DELETED),
                                link=link,
                            ),
                        )

    def _retry_escrows(self, mapping: CompiledMapping, planner: Planner, seen: set[str]) -> None:
        """Escrowed objects due for a retry are planned again, as the cycle does."""
        due = [
            e.source_id
            for e in self.ctx.store.due_escrows(mapping.key, self.ctx.now)
            if e.source_id not in seen
        ]
        if not due:
            return
        found = self.ctx.connectors[mapping.source_directory].get(mapping.source_object, due)
        objects = [found.get(i) or DirectoryObject(mapping.source_object, i, deleted=True) for i in due]
        seen.update(due)
        for planned in planner.plan_page(objects).objects:
            self._add(mapping, planned)

    def _add(self, mapping: CompiledMapping, planned: PlannedObject) -> None:
        op = planned.operation
        index: int | None = None
        if op.action is Action.NOOP:
            self.plan.unchanged += 1
        else:
            index = len(self.plan.operations)
            self.plan.operations.append(_shown(op))
        if op.action is Action.CREATE:
            self.creates[op.source_id] = f"(new {mapping.target_object} for {op.source_id})"
        elif op.action is Action.DELETE:
            self.inactive.add(op.source_id)
        elif planned.link is None and op.target_id:
            self.linked.add(op.source_id)  # matched: the cycle links it
        refs = planned.references
        if refs:
            target_id = op.target_id or self.creates.get(op.source_id, "")
            # Only the reference attributes' exported values: all the references step compares with.
            essence = op.essence
            exported = {a.target: essence[a.target] for a in mapping.references if a.target in essence}
            self.pending.setdefault(mapping.key, {})[op.source_id] = _Pending(
                target_id, exported, refs, index, op.display_name
            )

    def _guard(self) -> None:
        store = self.ctx.store
        held = [
            operation_from_json(r.operation)
            for m in self.ctx.mappings
            for page in store.iter_staged(m.key)
            for r in page
        ]
        planned = {(op.scope, op.source_id) for op in self.plan.operations if op.action.is_removal}
        held = [op for op in held if (op.scope, op.source_id) not in planned]
        total = len(planned) + len(held)
        threshold = self.ctx.job.settings.delete_threshold
        if total == 0 or self.ctx.force_deletes or threshold is None or total < threshold:
            self.plan.operations.extend(held)
            return
        self.plan.operations = [self._held(op) if op.action.is_removal else op for op in self.plan.operations]
        self.plan.operations.extend(self._held(op) for op in held)

    @staticmethod
    def _held(op: Operation) -> Operation:
        return op._replace(
            action=Action.STAGED_DELETE,
            reason=f"{Reason.TOO_MANY_DELETES} ({op.action.value}: {op.reason})",
        )

    def _stored_pending(self, mapping: CompiledMapping) -> Iterator[Link]:
        """The stored links whose references the cycle's references phase would process: the dirty ones,
        and the waiting ones this plan wakes by linking or unlinking an object they name (a waiting link
        nothing wakes would resolve as before: nothing to show)."""
        store = self.ctx.store
        for links in store.iter_dirty_links(mapping.key):
            yield from links
        named = set(self.creates) | self.linked | self.inactive
        if named:
            yield from store.waiting_links(mapping.key, named).values()

    def _stored_targets(self, mapping: CompiledMapping, pending: dict[str, _Pending]) -> dict[str, str]:
        """Adds the stored links the references phase would process to ``pending``; the target ids the
        references can resolve to (stored links still active, and the plan's creates)."""
        removed = {
            op.source_id
            for op in self.plan.operations
            if op.scope == mapping.key and (op.action.is_removal or op.action is Action.STAGED_DELETE)
        }
        for link in self._stored_pending(mapping):
            if link.source_id not in pending and link.source_id not in removed and link.pending_refs:
                refs = link.pending_refs
                pending[link.source_id] = _Pending(link.target_id, link.essence, refs, None, None)
        wanted = set().union(*(referenced_ids(p.refs) for p in pending.values())) if pending else set()
        stored = self.ctx.reference_targets(mapping)(wanted)
        targets = {k: v for k, v in stored.items() if k not in self.inactive}
        targets.update({k: v for k, v in self.creates.items() if k in wanted})
        return targets

    def _references(self, mapping: CompiledMapping) -> None:
        pending = dict(self.pending.get(mapping.key, {}))
        # With no link stored (an initial dry-run) there is nothing stored to resolve and nothing stored to
        # resolve against: only the plan's creates can be referenced.
        targets = self._stored_targets(mapping, pending) if self.has_links else self.creates
        operations = self.plan.operations
        for source_id, item in pending.items():
            found = reference_diff(mapping, item.refs, item.essence, targets)
            if not found.modifications:
                continue
            if item.index is not None:
                operations[item.index] = _shown(operations[item.index], found.changes)
            else:
                operations.append(
                    Operation(
                        Action.UPDATE,
                        mapping.key,
                        mapping.target_object,
                        source_id,
                        item.target_id,
                        found.changes,
                        reason=REFERENCE_REASON,
                        display_name=item.display_name,
                        source_type=mapping.source_object,
                    )
                )


def _shown(op: Operation, more: tuple[AttributeChange, ...] = ()) -> Operation:
    """The part of ``op`` a plan keeps (see ``Plan``), with ``more`` changes (the references step's)."""
    if not more and not op.modifications and not op.essence:
        return op
    return Operation(
        op.action,
        op.scope,
        op.object_type,
        op.source_id,
        op.target_id,
        op.changes + more,
        (),
        NO_VALUES,
        op.reason,
        op.display_name,
        op.source_type,
        op.disabled,
    )
