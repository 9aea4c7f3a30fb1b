"""The dry-run is the cycle without side effects: over random directories and changes -- removals over the
deletion threshold, a crash between an export and its commit, references waiting for their objects -- the
plan equals, operation by operation, what the following cycle logs, and writes nothing.

The one designed difference: a removal the guard held in an earlier cycle and holds again is logged once,
when first held, while every plan shows it. The plan also shows a new object's references with its
create (the cycle exports them as a later update): the cycle's log is folded the same way (``Plan.add``)."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine import Action, PlannedOperation, StateError, StateStore, load_job
from engine.plan import AttributeChange
from engine.run import Plan, PlanStream

from .test_properties import PROPERTIES, World, directories

THRESHOLDS = (None, 1, 3)


@pytest.fixture(scope="module")
def jobs(tmp_path_factory: pytest.TempPathFactory) -> dict[int | None, Any]:
    folder: Path = tmp_path_factory.mktemp("predicts")
    found = {}
    for threshold in THRESHOLDS:
        document: dict[str, Any] = {
            "id": f"predicts-{threshold}",
            "template": "scim",
            "state": "sqlite://",
            "directories": {
                "Azure Active Directory": {"connector": "memory"},
                "SCIM App": {"connector": "memory"},
            },
        }
        if threshold is not None:
            document["settings"] = {"deleteThreshold": threshold}
        path = folder / f"job-{threshold}.json"
        path.write_text(json.dumps(document), encoding="utf-8")
        found[threshold] = load_job(path)
    return found


def _logged(world: World, cycle_id: str) -> list[PlannedOperation]:
    """The cycle's log as operations, folded as a plan folds them."""
    return _folded(_log_operations(world, cycle_id))


def _folded(ops: list[PlannedOperation]) -> list[PlannedOperation]:
    replay = Plan()
    for op in ops:
        replay.add(op)
    return replay.operations


def _log_operations(world: World, cycle_id: str) -> list[PlannedOperation]:
    """The cycle's log as operations, one per record, in its order (unfolded)."""
    found = []
    for record in world.engine.logs(cycle_id=cycle_id, limit=10_000):
        action = record["provisioningAction"]
        if action == "other":
            action = "skip" if record["provisioningStatusInfo"]["status"] == "skipped" else "fail"
        changes = tuple(
            AttributeChange(p["displayName"], p["oldValue"], p["newValue"])
            for p in record["modifiedProperties"]
        )
        reason = next(
            (s["details"].get("Reason") for s in record["provisioningSteps"] if "Reason" in s["details"]), ""
        )
        found.append(
            PlannedOperation(
                Action(action),
                "",
                record["targetIdentity"]["identityType"],
                record["sourceIdentity"]["id"],
                changes=changes,
                reason=reason or "",
            )
        )
    return found


def _streamed(world: World) -> tuple[list[PlannedOperation], PlanStream]:
    """The dry-run written as JSON Lines (``idsync dry-run --output``), read back as operations."""
    out = io.StringIO()
    stream = world.engine.plan(into=PlanStream(out))
    ops = []
    for line in out.getvalue().splitlines():
        shown = json.loads(line)
        changes = tuple(AttributeChange(c["name"], c["old"], c["new"]) for c in shown["changes"])
        action, object_type, source_id = Action(shown["action"]), shown["objectType"], shown["sourceId"]
        ops.append(
            PlannedOperation(action, "", object_type, source_id, changes=changes, reason=shown["reason"])
        )
    return ops, stream


def _shape(ops: list[PlannedOperation]) -> list[tuple[str, str, str, tuple[str, ...]]]:
    return [
        (op.action.value, op.object_type, op.source_id, tuple(sorted(c.name for c in op.changes)))
        for op in ops
    ]


def _held_before(store: StateStore, world: World) -> set[str]:
    return {r.source_id for m in world.engine.mappings for page in store.iter_staged(m.key) for r in page}


def _crash_at(world: World, commit: int) -> None:
    """The ``commit``-th state commit of the next cycle fails after its page was exported (a kill there)."""
    store = world.engine.store
    real = store.commit
    calls = {"n": 0}

    def commit(batch: Any) -> None:
        calls["n"] += 1
        if calls["n"] == commit_at:
            raise StateError("killed between the export and its commit")
        real(batch)

    commit_at = commit
    store.commit = commit  # type: ignore[method-assign]
    world.restore_commit = lambda: setattr(store, "commit", real)  # type: ignore[attr-defined]


@PROPERTIES
@given(
    first=directories(),
    second=directories(),
    third=directories(),
    threshold=st.sampled_from(THRESHOLDS),
    crash=st.none() | st.integers(min_value=1, max_value=6),
)
def test_the_plan_is_what_the_next_cycle_does(
    jobs: Any, first: Any, second: Any, third: Any, threshold: int | None, crash: int | None
) -> None:
    world = World(jobs[threshold], first)
    world.cycle()
    world.load(second)
    if crash is not None:
        _crash_at(world, crash)
        world.cycle()
        world.restore_commit()  # type: ignore[attr-defined]
    world.cycle()  # removals over the threshold stay held from here on
    world.load(third)
    store = world.engine.store
    held = _held_before(store, world)
    target, status = world.target.snapshot(), store.status()

    plan = world.engine.plan()
    streamed, stream = _streamed(world)

    assert world.target.snapshot() == target and store.status() == status  # nothing written
    report = world.cycle()
    logged = _logged(world, report.id)
    assert _shape(_without_held(plan.operations)) == _shape(_without_held(logged))
    # The stream shows references' updates on lines of their own; folded as a plan folds them, it is the
    # plan, operation by operation, and so what the cycle logs.
    assert _shape(_folded(streamed)) == _shape(plan.operations)
    assert _shape(_without_held(_folded(streamed))) == _shape(_without_held(logged))
    assert stream.summary()["create"] == plan.summary()["create"] == report.total(Action.CREATE)
    shown_held = {op.source_id for op in plan.operations if op.action is Action.STAGED_DELETE}
    logged_held = {op.source_id for op in logged if op.action is Action.STAGED_DELETE}
    assert logged_held <= shown_held and shown_held - logged_held <= held
    assert report.total(Action.CREATE) == plan.summary()["create"]


def _without_held(ops: list[PlannedOperation]) -> list[PlannedOperation]:
    return [op for op in ops if op.action is not Action.STAGED_DELETE]
