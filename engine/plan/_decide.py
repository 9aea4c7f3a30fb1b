"""The decide step (pure): source state + mapped values + link/match → one ``PlannedOperation``.

Rules (spec §D.3, §D.4, §C.3):

* In scope, linked → update with the essence diff (nothing when equal → NOOP); a disabled link coming
  back into scope is re-enabled the same way (its IsSoftDeleted mapping now gives the active value).
* In scope, matched to an existing target object (not linked yet) → link, and update what differs from the
  object's current values; in scope, no match → create (when ``Add`` is allowed).
* IsSoftDeleted (out of scope, disabled, soft-deleted) and linked (spec §D.4 as corrected, DESIGN decision
  15) → disable through the IsSoftDeleted-driven mappings whenever the object mapping has one, whatever the
  target's ``IsSoftDeletionSupported`` metadata says (that key says whether the directory's objects have a
  recycle bin, not whether a mapped disable may run: Salesforce users are deactivated this way). With no
  IsSoftDeleted-driven mapping: delete when the target keeps no disabled objects (the connector cannot,
  e.g. LDAP without ``softDelete``, or the target object definition says ``IsSoftDeletionSupported=false``,
  e.g. Entra's SCIM groups; ``Delete`` must be allowed), otherwise nothing (``NoSoftDeleteMapping``).
  ``skipOutOfScopeDeletions`` suppresses both for objects that leave the scoping filter (a disabled or
  soft-deleted account is still disabled). Not linked → skip (disabled users are not provisioned at all);
  already disabled → nothing (no longer managed).
* Into Microsoft Entra ID with no IsSoftDeleted-driven attribute written there (cloud sync maps none;
  cross-tenant sync maps only the synthetic ``IsSoftDeleted``): deprovisioning is Entra's soft delete
  (README, "Deprovisioning into Microsoft Entra ID") → delete; an account only disabled in the source
  stays provisioned (an update writes its ``accountEnabled``).
* Hard-deleted in (or gone from) the source and linked → delete (``Delete`` must be allowed).

Attribute flow types: ObjectAddOnly only on create; AttributeAddOnly only when the target has no value;
MultiValueAddOnly / ValueAddOnly on a multi-valued attribute add missing values and never remove;
FlowAlways exports the attribute with every update of the object even when unchanged.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from connectors import DirectoryObject, Modification, ValueOp

from ._map import Mapped, SourceState, stays_provisioned
from ._model import (
    DEFAULTS_AFTER_SOURCE_TYPE,
    NO_VALUES,
    Action,
    AttributeChange,
    LinkView,
    PlannedOperation,
    Reason,
)
from ._references import unconfirmed
from ._rules import CompiledAttribute, CompiledMapping
from ._values import as_list, is_empty, missing_values, same

_ADD_ONLY_MULTI = ("MultiValueAddOnly", "ValueAddOnly")


@dataclass(frozen=True, slots=True)
class Policy:
    """Job- and target-level switches the decisions depend on."""

    skip_out_of_scope_deletions: bool = False
    target_soft_delete: bool = True


@dataclass(frozen=True, slots=True)
class Diff:
    changes: tuple[AttributeChange, ...]
    modifications: tuple[Modification, ...]
    essence: Mapping[str, Any]


def _values(value: Any) -> tuple[Any, ...]:
    return tuple(as_list(value))


def _attribute_diff(attribute: CompiledAttribute, new: Any, old: Any) -> tuple[Modification, Any] | None:
    """The modification turning ``old`` into ``new`` for one attribute and the resulting value, or None."""
    if new.__class__ is str and old.__class__ is str and new and old and attribute.single_always:
        # Two texts (the usual case): what ``same`` decides, without its general path.
        if not attribute.flow_always and (
            new == old or (not attribute.case_exact and new.casefold() == old.casefold())
        ):
            return None
        return Modification(attribute.target, ValueOp.REPLACE, (new,)), new
    if attribute.flow_type == "ObjectAddOnly":
        return None
    if attribute.flow_type == "AttributeAddOnly" and not is_empty(old):
        return None
    if new is None:  # null flow: clears the target, except where values are only ever added
        if is_empty(old) or (attribute.multivalued and attribute.flow_type in _ADD_ONLY_MULTI):
            return None
        return Modification(attribute.target, ValueOp.REPLACE, ()), None
    if attribute.multivalued and attribute.flow_type in _ADD_ONLY_MULTI:
        added = missing_values(new, old, case_exact=attribute.case_exact)
        if not added:
            return None
        return Modification(attribute.target, ValueOp.ADD, tuple(added)), as_list(old) + added
    if same(new, old, case_exact=attribute.case_exact) and not attribute.flow_always:
        return None
    return Modification(attribute.target, ValueOp.REPLACE, _values(new)), new


def diff(
    attributes: Sequence[CompiledAttribute],
    desired: Mapping[str, Any],
    old: Mapping[str, Any],
    keep: Sequence[CompiledAttribute] = (),
) -> Diff:
    """What to export so the target holds ``desired`` given it last held ``old`` (the essence)."""
    changes: list[AttributeChange] = []
    modifications: list[Modification] = []
    # The essence keeps the mapped attributes only (a matched object's other attributes are not ours);
    # ``keep`` (the reference attributes) are carried over for the references phase to diff against.
    essence = {a.target: old[a.target] for a in (*attributes, *keep) if a.target in old}
    for attribute in attributes:
        if attribute.target not in desired:
            continue
        result = _attribute_diff(attribute, desired[attribute.target], old.get(attribute.target))
        if result is None:
            continue
        modification, value = result
        modifications.append(modification)
        changes.append(AttributeChange(attribute.target, old.get(attribute.target), value))
        if value is None:
            essence.pop(attribute.target, None)
        else:
            essence[attribute.target] = value
    return Diff(tuple(changes), tuple(modifications), essence)


def create_values(mapped: Mapped) -> dict[str, Any]:
    """Initial values of a create: the mapped values without nulls, defaults filling the nulls."""
    values = {name: value for name, value in mapped.values.items() if value is not None}
    for name, value in mapped.defaults.items():
        values.setdefault(name, value)
    return values


def _created(values: Mapping[str, Any]) -> tuple[AttributeChange, ...]:
    """The changes a create setting ``values`` shows. Built with ``tuple.__new__``: the named tuples' own
    constructors are Python functions, and a create makes one or two per attribute."""
    new = tuple.__new__
    return tuple([new(AttributeChange, (k, None, v)) for k, v in values.items() if v is not None])


def _replace_all(values: Mapping[str, Any]) -> tuple[Modification, ...]:
    """The modifications of a create setting ``values``."""
    new, replace_op = tuple.__new__, ValueOp.REPLACE
    return tuple(
        [
            new(Modification, (k, replace_op, (v,) if v.__class__ is str else _values(v)))
            for k, v in values.items()
        ]
    )


def _op(action: Action, mapping: CompiledMapping, source_id: str, **kwargs: Any) -> PlannedOperation:
    return PlannedOperation(
        action, mapping.key, mapping.target_object, source_id, source_type=mapping.source_object, **kwargs
    )


def _kept(
    action: Action, mapping: CompiledMapping, link: LinkView, reason: str, name: str | None, **kwargs: Any
) -> PlannedOperation:
    """An operation that leaves a linked object as it is (its link keeps its target and essence)."""
    return _op(
        action,
        mapping,
        link.source_id,
        target_id=link.target_id,
        essence=link.essence,
        reason=reason,
        display_name=name,
        **kwargs,
    )


_SCOPE_REASONS = frozenset({Reason.OUT_OF_SCOPE, Reason.FILTERED_OUT})


def scope_detail(mapping: CompiledMapping, state: SourceState) -> str:
    """Which clause keeps an object out of scope (or filters it out), for people; "" for other reasons."""
    if mapping.explain_scope is None or state.reason not in _SCOPE_REASONS:
        return ""
    return mapping.explain_scope(state.record) or "the rule's containerFilter or groupFilter excludes it"


def decide_create(
    mapping: CompiledMapping,
    source_id: str,
    mapped: Mapped,
    name: str | None,
    exported: bool = True,
    reason: str = "",
) -> PlannedOperation:
    """``exported`` false: the operation is only shown, never exported (a dry-run), so it carries its
    changes without the connector modifications and the essence a write needs. ``reason``: why it is a
    create (what matching looked for, ``engine.plan._match.create_reason``)."""
    if "Add" not in mapping.flow_types:
        return _op(Action.SKIP, mapping, source_id, reason=Reason.ADD_NOT_ALLOWED, display_name=name)
    # A create only shown needs no copy of the values to keep as the essence when no default is merged
    # (``_created`` leaves out the nulls ``create_values`` drops).
    values = mapped.values if not exported and not mapped.defaults else create_values(mapped)
    missing = [name for name in mapping.required if is_empty(values.get(name))]
    if missing:
        return _op(
            Action.FAIL,
            mapping,
            source_id,
            display_name=name,
            reason=f"{Reason.REQUIRED_MISSING}: {', '.join(missing)}",
            error=Reason.REQUIRED_MISSING,
        )
    if not exported:  # positional through ``tuple.__new__``, one shared empty essence: one per source object
        return tuple.__new__(
            PlannedOperation,
            (
                Action.CREATE,
                mapping.key,
                mapping.target_object,
                source_id,
                None,
                _created(values),
                (),
                NO_VALUES,
                reason,
                name,
                mapping.source_object,
                *DEFAULTS_AFTER_SOURCE_TYPE,
            ),
        )
    return _op(
        Action.CREATE,
        mapping,
        source_id,
        changes=_created(values),
        modifications=_replace_all(values),
        essence=values,
        reason=reason,
        display_name=name,
    )


def decide_update(
    mapping: CompiledMapping,
    source_id: str,
    target_id: str,
    mapped: Mapped,
    old: Mapping[str, Any],
    name: str | None,
) -> PlannedOperation:
    result = diff(mapping.attributes, mapped.values, old, mapping.references)
    if not result.modifications:
        return _op(
            Action.NOOP,
            mapping,
            source_id,
            target_id=target_id,
            essence=result.essence,
            reason=Reason.REDUNDANT,
            display_name=name,
        )
    if "Update" not in mapping.flow_types:
        kept = {name: old[name] for name in result.essence if name in old}  # nothing is applied
        return _op(
            Action.SKIP,
            mapping,
            source_id,
            target_id=target_id,
            essence=kept,
            reason=Reason.UPDATE_NOT_ALLOWED,
            display_name=name,
        )
    return _op(
        Action.UPDATE,
        mapping,
        source_id,
        target_id=target_id,
        changes=result.changes,
        modifications=result.modifications,
        essence=result.essence,
        display_name=name,
    )


def decide_removal(
    mapping: CompiledMapping,
    state: SourceState,
    mapped: Mapped,
    link: LinkView,
    policy: Policy,
    name: str | None,
) -> PlannedOperation:
    """A linked object that is now IsSoftDeleted."""
    reason = state.reason
    detail = scope_detail(mapping, state)
    left_scope_only = not state.in_scope and not (state.disabled or state.soft_deleted)
    skip_out_of_scope = policy.skip_out_of_scope_deletions and left_scope_only
    if mapping.deprovision_deletes:
        # Entra's own soft delete (README, "Deprovisioning into Microsoft Entra ID"), before "already
        # disabled": a link an older release marked disabled still has its target object.
        if skip_out_of_scope:
            return _kept(Action.SKIP, mapping, link, Reason.SKIP_OUT_OF_SCOPE, name, detail=detail)
        return decide_delete(mapping, link, reason, name, detail)
    if link.disabled and not unconfirmed(link.essence):
        return _kept(Action.NOOP, mapping, link, Reason.ALREADY_DISABLED, name, disabled=True)
    if skip_out_of_scope:
        return _kept(Action.SKIP, mapping, link, Reason.SKIP_OUT_OF_SCOPE, name, detail=detail)
    if not mapping.soft_delete_attributes:
        # No way to disable: a target that keeps no disabled objects (the connector cannot, or the object
        # definition says IsSoftDeletionSupported=false, as Entra's SCIM groups) gets a delete.
        if not policy.target_soft_delete or mapping.target_soft_delete is False:
            return decide_delete(mapping, link, reason, name, detail)
        return _kept(Action.SKIP, mapping, link, Reason.NO_SOFT_DELETE_MAPPING, name)
    # An IsSoftDeleted-driven mapping disables, whatever IsSoftDeletionSupported says (spec §D.4 corrected).
    result = diff(mapping.attributes, mapped.values, link.essence, mapping.references)
    return _op(
        Action.DISABLE,
        mapping,
        link.source_id,
        target_id=link.target_id,
        changes=result.changes,
        modifications=result.modifications,
        essence=result.essence,
        reason=reason,
        display_name=name,
        disabled=True,
        detail=detail,
    )


def decide_delete(
    mapping: CompiledMapping, link: LinkView, reason: str, name: str | None = None, detail: str = ""
) -> PlannedOperation:
    if "Delete" not in mapping.flow_types:
        return _kept(Action.SKIP, mapping, link, Reason.DELETE_NOT_ALLOWED, name)
    return _op(
        Action.DELETE,
        mapping,
        link.source_id,
        target_id=link.target_id,
        reason=reason,
        display_name=name,
        detail=detail,
    )


def decide(
    mapping: CompiledMapping,
    source_id: str,
    state: SourceState,
    mapped: Mapped,
    link: LinkView | None,
    matched: DirectoryObject | None,
    policy: Policy,
    name: str | None = None,
    exported: bool = True,
    created: str = "",
) -> PlannedOperation:
    """The operation for one live source object (tombstones go to ``decide_delete``); ``exported`` as in
    ``decide_create``; ``created``: a create's reason."""
    if mapped.error is not None:
        return _op(
            Action.FAIL,
            mapping,
            source_id,
            target_id=link.target_id if link else None,
            reason=f"{Reason.EVALUATION_FAILED}: {mapped.error}",
            display_name=name,
            error=Reason.EVALUATION_FAILED,
        )
    if not state.handled:
        return _op(
            Action.SKIP,
            mapping,
            source_id,
            target_id=link.target_id if link else None,
            essence=link.essence if link else {},
            reason=state.reason,
            display_name=name,
            detail=scope_detail(mapping, state),
        )
    if state.is_soft_deleted and not (link is not None and stays_provisioned(mapping, state)):
        if link is None:
            return _op(
                Action.SKIP,
                mapping,
                source_id,
                reason=state.reason,
                display_name=name,
                detail=scope_detail(mapping, state),
            )
        return decide_removal(mapping, state, mapped, link, policy, name)
    if mapped.ignored:
        return _op(
            Action.SKIP,
            mapping,
            source_id,
            target_id=link.target_id if link else None,
            essence=link.essence if link else {},
            reason=Reason.IGNORED,
            display_name=name,
        )
    if link is not None:
        return decide_update(mapping, source_id, link.target_id, mapped, link.essence, name)
    if matched is not None:
        return decide_update(mapping, source_id, matched.id, mapped, dict(matched.attributes), name)
    return decide_create(mapping, source_id, mapped, name, exported, created)


def target_essence(mapping: CompiledMapping, values: Mapping[str, Any]) -> dict[str, Any]:
    """A linked target object's essence as the target holds it now (a full cycle diffs against it, as Entra's
    re-evaluates every object against the target): its values of the mapped and reference attributes, the
    empty ones left out. ``values`` is read by name (``get``): a connector's attributes may resolve
    aliases."""
    found: dict[str, Any] = {}
    for attribute in mapping.evaluated:
        value = values.get(attribute.target)
        if not is_empty(value):
            found[attribute.target] = value
    return found
