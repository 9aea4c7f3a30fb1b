"""``explain`` (the per-object steps of provision-on-demand, writing nothing) and provision-on-demand itself.

The explanation lists, for every object mapping whose source object type holds the id: import (the
attributes read), scoping (each clause with its result, and why IsSoftDeleted is what it is), matching
(the link, or each matching attribute tried with its hits), processing (the computed values) and the
action with its changes.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from connectors import DirectoryObject

from ..plan import Action, CompiledMapping, PagePlan, PlannedObject, Planner, referenced_ids
from ._context import CycleContext
from ._driver import Driver
from ._records import log_record, step, summary
from ._report import CycleReport
from ._sinks import ApplySink


class ObjectNotFound(LookupError):
    """No object mapping's source holds the object (nor is it linked)."""


def _candidates(ctx: CycleContext, object_type: str | None) -> list[CompiledMapping]:
    found = [m for m in ctx.mappings if object_type is None or m.source_object.lower() == object_type.lower()]
    if not found:
        known = ", ".join(sorted({m.source_object for m in ctx.mappings}))
        raise ObjectNotFound(f"no object mapping reads source object type {object_type!r} (known: {known})")
    return found


def _plan_one(ctx: CycleContext, mapping: CompiledMapping, object_id: str) -> PlannedObject | None:
    source = ctx.connectors[mapping.source_directory]
    obj = source.get(mapping.source_object, [object_id]).get(object_id)
    link = ctx.store.links(mapping.key, [object_id]).get(object_id)
    if obj is None and link is None:
        return None
    planner = Planner(
        mapping,
        ctx.store.links,
        ctx.connectors[mapping.target_directory].find,
        ctx.evaluation,
        ctx.policy(mapping),
    )
    plan = planner.plan_page([obj or DirectoryObject(mapping.source_object, object_id, deleted=True)])
    return plan.objects[0] if plan.objects else None


def _locate(
    ctx: CycleContext, object_id: str, object_type: str | None
) -> tuple[CompiledMapping, PlannedObject]:
    for mapping in _candidates(ctx, object_type):
        planned = _plan_one(ctx, mapping, object_id)
        if planned is not None:
            return mapping, planned
    raise ObjectNotFound(f"source object {object_id!r} was not found (and is not linked)")


def _steps(ctx: CycleContext, mapping: CompiledMapping, planned: PlannedObject) -> list[dict[str, Any]]:
    from ..scoping import explain_scope

    state, mapped, op = planned.state, planned.mapped, planned.operation
    record = dict(state.record) if state else {}
    steps = [
        {"step": "import", "found": not planned.source.deleted, "attributes": dict(planned.source.attributes)}
    ]
    if state is not None:
        steps.append(
            {
                "step": "scoping",
                "inScope": state.in_scope,
                "handled": state.handled,
                "disabled": state.disabled,
                "softDeleted": state.soft_deleted,
                "isSoftDeleted": state.is_soft_deleted,
                "clauses": explain_scope(mapping.scope_filter, record),
            }
        )
    match = planned.match
    steps.append(
        {
            "step": "matching",
            "linkedTargetId": planned.link.target_id if planned.link else None,
            "tried": [{"attribute": a, "value": v, "hits": n} for a, v, n in (match.tried if match else ())],
            "matchedTargetId": match.target.id if match and match.target else None,
            "error": match.error if match else None,
        }
    )
    if mapped is not None:
        steps.append(
            {
                "step": "processing",
                "values": dict(mapped.values),
                "defaults": dict(mapped.defaults),
                "references": dict(mapped.references),
                "resolvedReferences": _resolved(ctx, mapping, mapped.references),
                "ignoreObjectFlow": mapped.ignored,
                "error": mapped.error,
            }
        )
    steps.append({"step": "action", **op.to_json()})
    return steps


def _resolved(ctx: CycleContext, mapping: CompiledMapping, references: Mapping[str, Any]) -> dict[str, Any]:
    """Each reference translated to target ids through the links (None: not provisioned yet, kept pending)."""
    targets = ctx.store.target_ids(ctx.reference_keys(mapping), referenced_ids(references))
    resolved: dict[str, Any] = {}
    for name, value in references.items():
        if isinstance(value, list):
            resolved[name] = [targets.get(str(v)) for v in value]
        else:
            resolved[name] = None if value is None else targets.get(str(value))
    return resolved


def explain_object(ctx: CycleContext, object_id: str, object_type: str | None = None) -> dict[str, Any]:
    mapping, planned = _locate(ctx, object_id, object_type)
    return {
        "objectId": object_id,
        "sourceObjectType": mapping.source_object,
        "targetObjectType": mapping.target_object,
        "objectMapping": mapping.key,
        "steps": _steps(ctx, mapping, planned),
        "operation": planned.operation.to_json(),
    }


def on_demand(ctx: CycleContext, object_id: str, object_type: str | None, cycle_id: str) -> dict[str, Any]:
    """Process one object now, through the cycle's driver; its removals skip the threshold (one object
    cannot be a mass delete) and its references are resolved at once."""
    mapping, planned = _locate(ctx, object_id, object_type)
    driver = Driver(ctx, ApplySink(ctx), CycleReport(cycle_id, ctx.job.id, False, ctx.now))
    driver.process_page(mapping, PagePlan([planned]), None)
    if planned.operation.action.is_removal:
        driver.apply_staged(mapping, {object_id})
    else:
        link = ctx.store.links(mapping.key, [object_id]).get(object_id)
        if link is not None and link.pending_refs:
            driver.resolve_references(mapping, [link])
    records = ctx.store.logs(cycle_id=cycle_id, limit=10)
    entry = (
        records[-1][1]
        if records
        else log_record(
            ctx.log_context(mapping, cycle_id),
            planned.operation,
            when=ctx.now,
            status="skipped" if planned.operation.action in (Action.SKIP, Action.NOOP) else "success",
        )
    )
    record = summary(entry)
    imported = step("EntryImport", "import", "success", f"Imported {object_id}", planned.source.attributes)
    record["provisioningSteps"] = [imported, *record["provisioningSteps"][1:]]
    record["details"] = _steps(ctx, mapping, planned)
    return record
