"""The reference phase (pure): translate reference values (source ids) to target ids through the links
and work out the update (spec §D.7, DESIGN decision 9).

A reference whose object is not linked (yet) is left unset and stays *pending*: every later cycle tries
it again, so a manager or member that comes into scope later is fixed without a restart. "Unset" is what the
target holds too: a single-valued reference (a manager) that changes to an object not linked is cleared,
never left pointing at the previous one (which may be gone); a multi-valued one keeps only what resolves.
Multi-valued references (members) are exported as adds and removes, so large groups are not rewritten
wholesale.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

from connectors import Modification, ValueOp

from ._model import DEFAULTS_AFTER_SOURCE_TYPE, Action, AttributeChange, PlannedOperation, Reason
from ._rules import CompiledAttribute, CompiledMapping
from ._values import as_list, missing_values, same

UNCONFIRMED = "\x00idsync:unconfirmed"
"""An essence value meaning "the target may hold anything here" (an export a crash left unconfirmed): equal to
no value, so the next diff re-sends the attribute whole (a multi-valued reference: emptied, then added to)."""


def unconfirmed(essence: Mapping[str, Any]) -> bool:
    """True when a crash left an export to this object unconfirmed (``UNCONFIRMED`` in its essence): a
    disabled link then may point at an object the crashed export enabled again, and is disabled again."""
    return UNCONFIRMED in essence.values()


@dataclass(frozen=True, slots=True)
class ReferenceResult:
    operation: PlannedOperation | None
    """The update to export; None when the target already holds the resolved references."""
    essence: Mapping[str, Any]
    remaining: Mapping[str, Any] | None
    """References still unresolved (source ids), kept pending; None when all resolved."""


def referenced_ids(pending: Mapping[str, Any]) -> set[str]:
    return {str(v) for value in pending.values() for v in as_list(value)}


def _attribute_update(
    attribute: CompiledAttribute, wanted: Any, targets: Mapping[str, str], old: Any
) -> tuple[list[Modification], Any, bool]:
    """(modifications, new essence value, unresolved?) for one reference attribute."""
    if wanted.__class__ is str and not attribute.multivalued:  # one id (a manager): the common case, short
        new = targets.get(wanted)
        if new is None:
            return _cleared(attribute, old), None, True
        if new.__class__ is str and new and old.__class__ is not list:  # where ``same`` is plain equality
            if new == old:
                return [], old, False
            return [tuple.__new__(Modification, (attribute.target, ValueOp.REPLACE, (new,)))], new, False
    ids = [str(v) for v in as_list(wanted)]
    resolved = [targets[i] for i in ids if i in targets]
    unresolved = len(resolved) < len(ids)
    if old == UNCONFIRMED and (attribute.multivalued or isinstance(wanted, list)):
        # Emptied, then the resolved values added: a list in every target, even with one member.
        mods = [Modification(attribute.target, ValueOp.REPLACE, ())]
        mods += [Modification(attribute.target, ValueOp.ADD, tuple(resolved))] if resolved else []
        return mods, list(resolved), unresolved
    if attribute.multivalued or isinstance(wanted, list):
        if old is None or old == []:  # nothing exported yet (a new group): every resolved member is added
            mods = [Modification(attribute.target, ValueOp.ADD, tuple(resolved))] if resolved else []
            return mods, list(resolved), unresolved
        add = missing_values(resolved, old, case_exact=True)
        remove = (
            []
            if attribute.flow_type in ("MultiValueAddOnly", "ValueAddOnly")
            else missing_values(old, resolved, case_exact=True)
        )
        mods = [Modification(attribute.target, ValueOp.ADD, tuple(add))] if add else []
        mods += [Modification(attribute.target, ValueOp.REMOVE, tuple(remove))] if remove else []
        kept = [v for v in as_list(old) if v not in remove]
        return mods, kept + add, unresolved
    if ids and not resolved:  # the manager is not provisioned (yet): the reference is unset until it is
        return _cleared(attribute, old), None, True
    new = resolved[0] if resolved else None
    if same(new, old, case_exact=True):
        return [], old, unresolved
    values = (new,) if new is not None else ()
    return [Modification(attribute.target, ValueOp.REPLACE, values)], new, unresolved


def _cleared(attribute: CompiledAttribute, old: Any) -> list[Modification]:
    """Clearing a single-valued reference that holds ``old`` (nothing when it holds nothing)."""
    if old is None or old == [] or old == "":
        return []
    return [Modification(attribute.target, ValueOp.REPLACE, ())]


class ReferenceDiff(NamedTuple):
    """What resolving one object's references changes (a tuple: the dry-run makes one per object)."""

    changes: tuple[AttributeChange, ...]
    modifications: tuple[Modification, ...]
    essence: Mapping[str, Any]
    """The essence once the modifications are applied (the given one itself when there are none)."""
    remaining: Mapping[str, Any] | None
    """References still unresolved (source ids), kept pending; None when all resolved."""


def reference_diff(
    mapping: CompiledMapping,
    pending: Mapping[str, Any],
    essence: Mapping[str, Any],
    targets: Mapping[str, str],
) -> ReferenceDiff:
    """The modifications resolving ``pending`` (reference attribute -> source ids) against the exported
    ``essence``, given the source->target id translation ``targets``."""
    new_essence: dict[str, Any] | None = None
    modifications: list[Modification] = []
    changes: list[AttributeChange] = []
    remaining: dict[str, Any] = {}
    for attribute in mapping.references:
        if attribute.target not in pending:
            continue
        old = essence.get(attribute.target)
        mods, value, unresolved = _attribute_update(attribute, pending[attribute.target], targets, old)
        if unresolved:
            remaining[attribute.target] = pending[attribute.target]
        if mods:
            modifications.extend(mods)
            changes.append(tuple.__new__(AttributeChange, (attribute.target, old, value)))
            if new_essence is None:
                new_essence = dict(essence)
            if value is None or value == []:
                new_essence.pop(attribute.target, None)
            else:
                new_essence[attribute.target] = value
    # positional, through ``tuple.__new__`` (named tuples' own constructors are Python functions): a cycle
    # diffs the references of nearly every object it writes
    return tuple.__new__(
        ReferenceDiff,
        (
            tuple(changes),
            tuple(modifications),
            essence if new_essence is None else new_essence,
            remaining or None,
        ),
    )


def resolve(
    mapping: CompiledMapping,
    source_id: str,
    target_id: str,
    pending: Mapping[str, Any],
    essence: Mapping[str, Any],
    targets: Mapping[str, str],
    display_name: str | None = None,
) -> ReferenceResult:
    """The reference update of one linked object given the source→target id translation ``targets``."""
    found = reference_diff(mapping, pending, essence, targets)
    operation = None
    if found.modifications:
        # positional, through ``tuple.__new__`` (the named tuple constructor is Python code): one per update
        operation = tuple.__new__(
            PlannedOperation,
            (
                Action.UPDATE,
                mapping.key,
                mapping.target_object,
                source_id,
                target_id,
                found.changes,
                found.modifications,
                found.essence,
                Reason.REFERENCE_RESOLUTION,
                display_name,
                mapping.source_object,
                *DEFAULTS_AFTER_SOURCE_TYPE,
            ),
        )
    return ReferenceResult(operation, found.essence, found.remaining)
