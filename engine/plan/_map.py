"""The map step (pure): a source object → its record with ``IsSoftDeleted`` derived → target values.

``IsSoftDeleted`` (spec §D.4) is true when the object is out of the mapping's scope, disabled
(``accountEnabled`` false, or the attribute the source's ``PropertyNameAccountEnabled`` metadata names) or
soft-deleted (a non-null ``deletedDateTime``, or the source's ``PropertyNameSoftDeleted`` attribute). App
assignment: every object is "assigned" unless its source says ``IsEffectivelyEntitledForProvisioning`` is
False (the graph connector with ``scope: assigned``).

Values (spec §D.3, DESIGN decision 3): an expression giving null exports nothing for that attribute
(the target keeps its value) unless null flow is enabled for it; IgnoreAttributeFlow drops the attribute,
IgnoreObjectFlow the whole object. An empty string or list counts as null. ``defaultValue`` fills a
null on create only (the portal's reading of
the ambiguity in spec §G.15; the attributeMapping page's wording would also apply it on updates, which
would overwrite values set in the target).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

import expressions
from connectors import DirectoryObject

from ._model import NO_VALUES, LinkView, Reason
from ._references import unconfirmed
from ._rules import SOFT_DELETED, CompiledAttribute, CompiledMapping
from ._values import coerce

_FALSE = (False, "false", "False", "FALSE", 0, "0")
ENTITLED = "IsEffectivelyEntitledForProvisioning"


class SourceState(NamedTuple):
    """A source object as the rules see it. (This and ``Mapped`` are named tuples, immutable like frozen
    dataclasses and cheaper to build: every source object makes one of each.)"""

    record: Mapping[str, Any]
    in_scope: bool
    disabled: bool
    soft_deleted: bool
    is_soft_deleted: bool
    """``IsSoftDeleted`` (spec §D.4): out of scope, disabled or soft-deleted (a field, not a property: the
    planner asks it several times per object)."""
    handled: bool = True
    """False when an input or category filter excludes the object: this mapping ignores it entirely."""

    @property
    def reason(self) -> str:
        if not self.handled:
            return Reason.FILTERED_OUT
        if self.soft_deleted:
            return Reason.SOFT_DELETED
        if self.disabled:
            return Reason.DISABLED
        return Reason.OUT_OF_SCOPE


def derive(mapping: CompiledMapping, obj: DirectoryObject) -> SourceState:
    """The record (attributes plus ``IsSoftDeleted``) and why the object is or is not provisioned."""
    attributes = dict(obj.attributes)
    if mapping.source_anchor and attributes.get(mapping.source_anchor) is None:
        # The connector's id *is* the object's anchor (connectors/_base.py); directories that do not repeat
        # it as an attribute (a JSON file's "id", LDAP's operational entryUUID) still let mappings read it,
        # e.g. the scim template's group ``externalId <- [objectId]``.
        attributes[mapping.source_anchor] = obj.id
    result = str(mapping.scope(attributes))
    # A source that knows the app's assignments (the graph connector's ``scope: assigned``) says False here
    # for an object the app is not assigned: out of scope (spec §D.4), whatever the scoping filters say.
    in_scope = result == "inScope" and attributes.get(ENTITLED) is not False
    enabled = attributes.get(mapping.enabled_attribute, True)
    # a Boolean (the usual value) decides without scanning ``_FALSE``
    disabled = enabled is False or (enabled.__class__ is not bool and enabled in _FALSE)
    soft_deleted = attributes.get("deletedDateTime") is not None
    if mapping.soft_deleted_attribute:
        soft_deleted = soft_deleted or attributes.get(mapping.soft_deleted_attribute) not in (None, *_FALSE)
    removed = not in_scope or disabled or soft_deleted
    attributes[SOFT_DELETED] = removed
    # positional, through ``tuple.__new__`` (the named tuple constructor is Python code): one per object
    return tuple.__new__(
        SourceState,
        (
            attributes,
            in_scope,
            disabled,
            soft_deleted,
            removed,
            result == "inScope" or result == "outOfScope",
        ),
    )


class Mapped(NamedTuple):
    """The target values of one source object."""

    values: Mapping[str, Any] = NO_VALUES
    """Target attribute → value to export (None only for attributes where null flows)."""
    defaults: Mapping[str, Any] = NO_VALUES
    """Target attribute → its defaultValue, for attributes whose source gave null (used on create)."""
    references: Mapping[str, Any] = NO_VALUES
    """Reference attribute → source id(s) it points at (None: no reference)."""
    ignored: bool = False
    """IgnoreObjectFlow: nothing is exported for this object."""
    error: str | None = None
    """An evaluation failed (the object is escrowed)."""


def _evaluate(
    attribute: CompiledAttribute, record: Mapping[str, Any], context: expressions.EvaluationContext
) -> Any:
    if attribute.expression is None:
        return None
    return attribute.expression.evaluate(record, context)


def _raw_values(
    mapping: CompiledMapping,
    record: Mapping[str, Any],
    context: expressions.EvaluationContext,
    contexts: Mapping[str, expressions.EvaluationContext] | None,
) -> dict[str, Any] | str:
    """Every attribute's raw value, or the error text naming the attribute that failed."""
    if mapping.mapping_set is not None and not contexts:
        try:
            fast: dict[str, Any] = mapping.mapping_set.evaluate(record, context)  # one generated function
            return fast
        except expressions.ExpressionError:
            pass  # evaluated one by one below, which names the attribute whose expression failed
        except Exception as exc:  # a defect must not stop the cycle: escrow this object
            return f"{type(exc).__name__}: {exc} (an idsync defect; please report it)"
    raws: dict[str, Any] = {}
    for attribute in mapping.evaluated:
        own = (contexts or {}).get(attribute.target, context)
        try:
            raws[attribute.target] = _evaluate(attribute, record, own)
        except expressions.ExpressionError as exc:
            return f"{attribute.target}: {exc}"
        except Exception as exc:  # a defect in one function must not stop the cycle: escrow this object
            return f"{attribute.target}: {type(exc).__name__}: {exc} (an idsync defect; please report it)"
    return raws


def map_object(
    mapping: CompiledMapping,
    record: Mapping[str, Any],
    context: expressions.EvaluationContext,
    contexts: Mapping[str, expressions.EvaluationContext] | None = None,
) -> Mapped:
    """Evaluate every attribute mapping of ``mapping`` against ``record``."""
    raws = _raw_values(mapping, record, context, contexts)
    if isinstance(raws, str):
        return Mapped(error=raws)
    values: dict[str, Any] = {}
    defaults: dict[str, Any] = {}
    references: dict[str, Any] = {}
    ignore_object, ignore_attribute = expressions.IGNORE_OBJECT, expressions.IGNORE_ATTRIBUTE
    for attribute in mapping.evaluated:
        target = attribute.target
        raw = raws.get(target)
        if raw.__class__ is str and attribute.plain_text:  # the common case first (no sentinel is a str)
            if raw:
                values[target] = raw
                continue
            value = None  # "" is null (what coerce gives)
        else:
            if raw is ignore_object:
                return Mapped(ignored=True)
            if raw is ignore_attribute:
                continue
            if attribute.reference:
                references[target] = raw
                continue
            value = coerce(raw, attribute.kind, attribute.multivalued)
            if value == "" or value == []:
                value = None  # Entra sends no empty values: "" (e.g. Join of nulls) is treated as null
            if value is not None:
                values[target] = value
                continue
        if attribute.default not in (None, ""):
            defaults[target] = coerce(attribute.default, attribute.kind, attribute.multivalued)
        elif attribute.flow_nulls:  # single- and multi-valued alike (an emptied list clears the target)
            values[target] = None
    # positional, through ``tuple.__new__`` (the named tuple constructor is Python code): one per object
    return tuple.__new__(Mapped, (values, defaults, references, False, None))


NOT_EVALUATED = Mapped()
"""The mapped values of an object whose mappings are not evaluated (scope first, DESIGN decision 16)."""


def stays_provisioned(mapping: CompiledMapping, state: SourceState) -> bool:
    """An account only disabled in the source (in scope, not soft-deleted) whose deprovisioning would be
    Entra's soft delete (``CompiledMapping.deprovision_deletes``): a linked one stays provisioned and its
    mappings flow (its ``accountEnabled`` becomes false) -- Microsoft's cross-tenant sync: "not a deletion,
    but an update to the accountEnabled property". Never provisioned, it is not provisioned (spec §D.4)."""
    return mapping.deprovision_deletes and state.disabled and state.in_scope and not state.soft_deleted


def needs_evaluation(mapping: CompiledMapping, state: SourceState, link: LinkView | None) -> str:
    """Scope before evaluation (DESIGN decision 16): ``"all"`` for an object in scope, or a linked one that
    stays provisioned though disabled (``stays_provisioned``); ``"disable"`` for a linked, still managed
    object that leaves scope (only its IsSoftDeleted-driven mappings are evaluated: what its disable writes);
    ``""`` otherwise (filtered out, or out of scope and never provisioned -- or already disabled: skipped
    without evaluating, so its evaluation errors are not errors -- unless a crash left an export to it
    unconfirmed, which may have enabled it again: disabled again -- or deprovisioned by a delete, which
    writes no value)."""
    if not state.handled:
        return ""
    if not state.is_soft_deleted:
        return "all"
    if link is None:
        return ""
    if mapping.deprovision_deletes:
        return "all" if stays_provisioned(mapping, state) else ""
    return "disable" if not link.disabled or unconfirmed(link.essence) else ""


def map_disable(
    mapping: CompiledMapping, record: Mapping[str, Any], context: expressions.EvaluationContext
) -> Mapped:
    """Only the IsSoftDeleted-driven attributes of ``mapping``: what a disable writes."""
    values: dict[str, Any] = {}
    for attribute in mapping.soft_delete_attributes:
        try:
            raw = _evaluate(attribute, record, context)
        except expressions.ExpressionError as exc:
            return Mapped(error=f"{attribute.target}: {exc}")
        if raw is expressions.IGNORE_OBJECT or raw is expressions.IGNORE_ATTRIBUTE:
            continue
        value = coerce(raw, attribute.kind, attribute.multivalued)
        if value is not None and value != "" and value != []:
            values[attribute.target] = value
    return Mapped(values)


SOURCE_DETAILS = ("bulkId",)
"""Source attributes a provisioning log record shows in ``sourceIdentity.details``: the ``api`` connector's
``bulkId`` (the bulk operation that uploaded the record, as Entra's inbound logs show it)."""


def source_details(record: Mapping[str, Any]) -> Mapping[str, str]:
    """The ``SOURCE_DETAILS`` the source object carries (usually none)."""
    found: dict[str, str] | None = None
    for key in SOURCE_DETAILS:  # (a loop, not a comprehension: called for every object, found for few)
        value = record.get(key)
        if value is not None:
            found = found or {}
            found[key] = str(value)
    return found or NO_VALUES


def display_name(record: Mapping[str, Any], values: Mapping[str, Any]) -> str | None:
    """A human name for logs and dry-run tables."""
    for source in (values, record):
        for key in ("displayName", "userPrincipalName", "userName", "mail", "cn", "name"):
            value = source.get(key)
            if isinstance(value, str) and value:
                return value
    return None
