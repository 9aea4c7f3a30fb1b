"""Planning one page of one object mapping: scope → map → match → decide, with batched lookups.

Pure apart from the lookups it is given: links (one call per page), target objects by attribute value
(``find``, one call per page and matching attribute) and, for references, the target ids of linked objects.
It writes nothing; ``engine.run`` gives it lookups over the state and the target, or over what a dry-run
would have written.

References (spec §D.7, decision 9) are resolved here when the planner is given a ``targets`` lookup and the
referenced objects are already linked (one IN query per page): a group whose members were provisioned on
earlier pages is created with its members, a user whose manager is linked gets the manager in the same
write, instead of a second update in the references phase. What cannot be resolved yet stays pending (the
attribute's full value, so the references phase diffs it against what was exported) and is retried by the
references phase, as before. Without ``targets`` (explain) every reference stays pending.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import expressions
from connectors import DirectoryObject, Modification, ValueOp

from ._decide import Policy, decide, decide_delete
from ._map import (
    NOT_EVALUATED,
    Mapped,
    SourceState,
    derive,
    display_name,
    map_disable,
    map_object,
    needs_evaluation,
    source_details,
)
from ._match import MatchResult, choose, create_reason, matching_values
from ._model import Action, AttributeChange, LinkView, PlannedOperation, Reason
from ._references import reference_diff, referenced_ids
from ._rules import CompiledAttribute, CompiledMapping

LinkLookup = Callable[[str, Sequence[str]], Mapping[str, LinkView]]
"""(mapping key, source ids) -> the links of those source ids."""
TargetLookup = Callable[[Iterable[str]], Mapping[str, str]]
"""Source ids -> target ids of linked objects (any mapping of the same directory pair)."""
FindLookup = Callable[[str, str, Sequence[str]], Mapping[str, Sequence[DirectoryObject]]]
"""(target object type, attribute, values) -> value -> the target objects holding it (``Connector.find``)."""
_CREATE = Action.CREATE  # (a module constant: an enum's members are class lookups)
_REPLACE = ValueOp.REPLACE
_UNDECIDED = PlannedOperation(Action.NOOP, "", "", "")
"""Held by a planned object between its mapping and its decision (one shared value: no object per object)."""


@dataclass(slots=True)
class PlannedObject:
    """Everything worked out for one source object (explain shows all of it)."""

    source: DirectoryObject
    operation: PlannedOperation
    state: SourceState | None = None
    mapped: Mapped | None = None
    link: LinkView | None = None
    match: MatchResult | None = None
    folded: bool = False
    """True once the planner resolved what it could of the references into ``operation``."""
    unresolved: Mapping[str, Any] | None = None
    """After folding: the reference attributes still waiting for their objects (full values), or None."""

    @property
    def references(self) -> Mapping[str, Any] | None:
        """Reference values (source ids) to resolve after the objects phase, when the object stays managed."""
        if self.folded:
            return self.unresolved
        return self.wanted_references

    @property
    def wanted_references(self) -> Mapping[str, Any] | None:
        """Every reference value of the object, when it stays managed (None otherwise)."""
        if self.mapped is None or self.state is None or not self.mapped.references:
            return None
        if (
            self.operation.action not in (Action.CREATE, Action.UPDATE, Action.NOOP)
            or self.operation.disabled
        ):
            return None
        return self.mapped.references


@dataclass
class PagePlan:
    objects: list[PlannedObject] = field(default_factory=list)

    @property
    def operations(self) -> list[PlannedOperation]:
        return [p.operation for p in self.objects]


def evaluation_contexts(
    mapping: CompiledMapping, base: expressions.EvaluationContext, find: FindLookup
) -> dict[str, expressions.EvaluationContext]:
    """Per-attribute contexts for SelectUniqueValue: uniqueness is checked against the target directory."""

    def is_unique(attribute: str | None, value: str) -> bool:
        if not attribute:
            return True
        return not find(mapping.target_object, attribute, [value]).get(value)

    found: dict[str, expressions.EvaluationContext] = {}
    for attribute in mapping.attributes:
        if getattr(attribute.expression, "uses_select_unique_value", False):
            found[attribute.target] = replace(base, is_unique=is_unique, target_attribute=attribute.target)
    return found


class Planner:
    """Plans pages of one mapping through the lookups it is given."""

    def __init__(
        self,
        mapping: CompiledMapping,
        links: LinkLookup,
        find: FindLookup,
        context: expressions.EvaluationContext,
        policy: Policy,
        targets: TargetLookup | None = None,
        *,
        exported: bool = True,
    ) -> None:
        """``targets`` None: every reference stays pending (explain). ``exported`` false: the operations are
        only shown, never exported, so creates carry their changes without connector modifications."""
        self.mapping = mapping
        self.links = links
        self.find = find
        self.context = context
        self.contexts = evaluation_contexts(mapping, context, find)
        self.policy = policy
        self.targets = targets
        self.exported = exported

    def plan_page(self, objects: Sequence[DirectoryObject]) -> PagePlan:
        links = self.links(self.mapping.key, [obj.id for obj in objects])
        plan = PagePlan()
        pending: list[PlannedObject] = []
        for obj in objects:
            if obj.deleted:
                link = links.get(obj.id)
                if link is not None:
                    operation = decide_delete(self.mapping, link, Reason.HARD_DELETED)
                    plan.objects.append(PlannedObject(obj, operation, link=link))
                continue
            state = derive(self.mapping, obj)
            link = links.get(obj.id)
            # Scope first (DESIGN decision 16); the common case (in scope, enabled) without a call.
            if state.in_scope and not state.disabled and not state.soft_deleted:
                mapped = map_object(self.mapping, state.record, self.context, self.contexts)
            else:
                evaluate = needs_evaluation(self.mapping, state, link)
                if evaluate == "all":
                    mapped = map_object(self.mapping, state.record, self.context, self.contexts)
                elif evaluate:
                    mapped = map_disable(self.mapping, state.record, self.context)
                else:
                    mapped = NOT_EVALUATED
            planned = PlannedObject(obj, _UNDECIDED, state, mapped, link)
            pending.append(planned)
        self._match(pending)
        for planned in pending:
            planned.operation = self._decide(planned)
            plan.objects.append(planned)
        if self.targets is not None and self.mapping.references:
            self._fold_references(pending, self.targets)
        return plan

    def _fold_references(self, objects: Sequence[PlannedObject], targets: TargetLookup) -> None:
        """Resolve the references whose objects are linked already into the objects' own operations."""
        todo: list[tuple[PlannedObject, Mapping[str, Any]]] = []
        wanted: set[str] = set()
        for planned in objects:
            refs = planned.wanted_references
            if not refs:
                continue
            todo.append((planned, refs))
            for value in refs.values():
                if value.__class__ is str:  # one id (a manager): the common case
                    wanted.add(value)
                elif value is not None:
                    wanted |= referenced_ids({"": value})
        found = targets(wanted) if wanted else {}
        mapping = self.mapping
        for planned, refs in todo:
            planned.operation, planned.unresolved = fold_references(mapping, planned.operation, refs, found)
            planned.folded = True

    def _needs_match(self, planned: PlannedObject) -> bool:
        state, mapped = planned.state, planned.mapped
        return (
            planned.link is None
            and state is not None
            and mapped is not None
            and state.handled
            and not state.is_soft_deleted
            and not mapped.ignored
            and mapped.error is None
        )

    def _match(self, objects: Sequence[PlannedObject]) -> None:
        """Matching attributes in priority order, one ``find`` per attribute for the whole page; an object
        is asked about its next attribute only while no earlier one decided (a hit or a conflict)."""
        wanted = [p for p in objects if self._needs_match(p)]
        if not wanted or not self.mapping.matching:
            return
        candidates: dict[str, list[tuple[CompiledAttribute, str]]] = {}
        for planned in wanted:
            assert planned.state is not None
            candidates[planned.source.id] = matching_values(self.mapping, planned.state.record, self.context)
        hits = self._hits(candidates)
        for planned in wanted:
            planned.match = choose(self.mapping, candidates[planned.source.id], hits)

    def _hits(
        self, candidates: Mapping[str, Sequence[tuple[CompiledAttribute, str]]]
    ) -> dict[tuple[str, str], list[DirectoryObject]]:
        """``(attribute, value) -> target objects`` found for the candidates' values, one ``find`` per
        matching attribute, asking only for the objects no earlier attribute decided."""
        hits: dict[tuple[str, str], list[DirectoryObject]] = {}
        open_ids = set(candidates)
        for attribute in self.mapping.matching:
            asked = {v for i in open_ids for a, v in candidates[i] if a.target == attribute.target}
            if not asked:
                continue
            result = self.find(self.mapping.target_object, attribute.target, sorted(asked))
            if result:  # else nobody was decided by this attribute
                hits.update({(attribute.target, value): list(found) for value, found in result.items()})
                open_ids = {i for i in open_ids if not self._decided(candidates[i], attribute.target, hits)}
        return hits

    @staticmethod
    def _decided(
        candidates: Sequence[tuple[CompiledAttribute, str]],
        name: str,
        hits: Mapping[tuple[str, str], Sequence[DirectoryObject]],
    ) -> bool:
        return any(a.target == name and hits.get((name, v)) for a, v in candidates)

    def _decide(self, planned: PlannedObject) -> PlannedOperation:
        op = self._decided_op(planned)
        details = source_details(planned.state.record) if planned.state is not None else None
        return op._replace(source_details=details) if details else op

    def _decided_op(self, planned: PlannedObject) -> PlannedOperation:
        state, mapped = planned.state, planned.mapped
        assert state is not None and mapped is not None
        name = display_name(state.record, mapped.values)
        match = planned.match
        if match is not None and match.error is not None:
            return PlannedOperation(
                Action.FAIL,
                self.mapping.key,
                self.mapping.target_object,
                planned.source.id,
                reason=match.error,
                display_name=name,
                source_type=self.mapping.source_object,
                error=match.code,
            )
        matched = match.target if match is not None else None
        new = planned.link is None and matched is None and not state.is_soft_deleted  # a create, if any
        return decide(
            self.mapping,
            planned.source.id,
            state,
            mapped,
            planned.link,
            matched,
            self.policy,
            name,
            self.exported,
            create_reason(self.mapping, match) if new else "",
        )


def _fold_one(
    mapping: CompiledMapping, op: PlannedOperation, refs: Mapping[str, Any], targets: Mapping[str, str]
) -> tuple[PlannedOperation, Mapping[str, Any] | None] | None:
    """``fold_references`` of a create whose one reference is a single-valued id (a user's manager, the
    usual case) without ``reference_diff``'s general work: the same operation and pending references it
    gives; None for any other case."""
    for name, value in refs.items():
        if value.__class__ is not str or name not in mapping.single_references or name in op.essence:
            return None
        new = targets.get(value)
        if new is None:  # its object comes later: nothing written, the id kept pending
            return op, {name: value}
        if new.__class__ is not str or not new:
            return None
        essence = dict(op.essence)
        essence[name] = new
        new_ = tuple.__new__  # (as in ``fold_references``: the named tuples' constructors are Python)
        folded = new_(
            PlannedOperation,
            (
                _CREATE,
                *op[1:5],
                (*op.changes, new_(AttributeChange, (name, None, new))),
                (*op.modifications, new_(Modification, (name, _REPLACE, (new,)))),
                essence,
                *op[8:],
            ),
        )
        return folded, None
    return None


def fold_references(
    mapping: CompiledMapping, op: PlannedOperation, refs: Mapping[str, Any], targets: Mapping[str, str]
) -> tuple[PlannedOperation, Mapping[str, Any] | None]:
    """``op`` with the resolvable references of ``refs`` written by it, and the references still pending.

    The operation carries the same modifications the references phase would have exported, against the
    essence the operation leaves: on a create, a value for a single-valued reference and an add of the
    resolved values for a multi-valued one (a list in every target, even with one member).
    """
    action = op.action
    if action is _CREATE:
        if len(refs) == 1:
            one = _fold_one(mapping, op, refs, targets)
            if one is not None:
                return one
        for value in refs.values():
            if value is not None and (value.__class__ is not str or value in targets):
                break
        else:
            # A create whose single-valued references all wait (their objects come later): what
            # ``reference_diff`` gives, without its work -- nothing written, every id kept pending.
            return op, {name: value for name, value in refs.items() if value is not None} or None
    found = reference_diff(mapping, refs, op.essence, targets)
    if not found.modifications:
        return op, found.remaining
    # ``op`` with its action, changes, modifications, essence and reason (fields 0 and 5 to 8) replaced,
    # through ``tuple.__new__``: the named tuple's own constructor and ``_replace`` are Python functions, and
    # a cycle folds the references of nearly every object it writes
    folded = tuple.__new__(
        PlannedOperation,
        (
            _CREATE if action is _CREATE else Action.UPDATE,
            *op[1:5],
            op.changes + found.changes,
            op.modifications + found.modifications,
            found.essence,
            Reason.REFERENCE_RESOLUTION if action is Action.NOOP else op.reason,
            *op[9:],
        ),
    )
    return folded, found.remaining
