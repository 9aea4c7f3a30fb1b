"""The create journal: the pure resolution decision, the store's intents table, and real crashes (SIGKILL
between a page's target writes and its state commit) followed by source deletions."""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import sys
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from connectors import ApplyResult, ConnectorContext, ObjectRejected, create_connector
from engine import Action, SyncEngine, load_job
from engine.plan import Outcome, decide_intent
from engine.state import Batch, Intent, Link, StateStore
from tests.peers.postgres import postgres_url as postgres_url

from .conftest import USER, user, write_job
from .test_cycle import _scoped_schema

NOW = datetime(2026, 1, 1, tzinfo=UTC)
CRASH = str(Path(__file__).with_name("crash_after_export.py"))
IDSYNC = str(Path(sys.executable).parent / "idsync")
REPO = Path(__file__).resolve().parents[3]

# --- the decision (pure) -----------------------------------------------------------------------------------

INTENT = Intent("s1", (("userName", "a@x"), ("externalId", "s1")), NOW)


def test_linked_intent_is_stale_and_dropped() -> None:
    decision = decide_intent(INTENT.values, linked=True, provisioned=False, hits={}, claimed=set())
    assert decision.outcome is Outcome.DROP and "already linked" in decision.reason


def test_source_still_provisioned_keeps_the_intent_for_matching() -> None:
    hits = {("userName", "a@x"): ["t1"]}
    assert (
        decide_intent(INTENT.values, linked=False, provisioned=True, hits=hits, claimed=set()).outcome
        is Outcome.KEEP
    )


def test_gone_source_with_one_hit_removes_that_object() -> None:
    hits = {("userName", "a@x"): ["t1"]}
    decision = decide_intent(INTENT.values, linked=False, provisioned=False, hits=hits, claimed=set())
    assert decision.outcome is Outcome.REMOVE and decision.target_id == "t1"
    assert decision.reason.startswith("UncommittedCreate:")


def test_first_value_with_hits_decides_like_matching() -> None:
    hits = {("userName", "a@x"): [], ("externalId", "s1"): ["t2"]}
    decision = decide_intent(INTENT.values, linked=False, provisioned=False, hits=hits, claimed=set())
    assert (decision.outcome, decision.target_id) == (Outcome.REMOVE, "t2")


def test_no_hit_means_the_create_never_reached_the_target() -> None:
    decision = decide_intent(INTENT.values, linked=False, provisioned=False, hits={}, claimed=set())
    assert decision.outcome is Outcome.DROP and "never reached the target" in decision.reason
    assert "userName = 'a@x'" in decision.reason


def test_several_hits_are_ambiguous_and_kept() -> None:
    hits = {("userName", "a@x"): ["t1", "t2"]}
    decision = decide_intent(INTENT.values, linked=False, provisioned=False, hits=hits, claimed=set())
    assert decision.outcome is Outcome.AMBIGUOUS and "t1, t2" in decision.reason


def test_an_object_another_source_object_matched_is_left_alone() -> None:
    hits = {("userName", "a@x"): ["t1"]}
    decision = decide_intent(INTENT.values, linked=False, provisioned=False, hits=hits, claimed={"t1"})
    assert decision.outcome is Outcome.DROP and decision.target_id == "t1"


def test_an_out_of_scope_source_with_skip_out_of_scope_deletions_spares_the_object() -> None:
    hits = {("userName", "a@x"): ["t1"]}
    decision = decide_intent(
        INTENT.values, linked=False, provisioned=False, hits=hits, claimed=set(), spared=True
    )
    assert decision.outcome is Outcome.DROP and "SkipOutOfScopeDeletions" in decision.reason


_ids = st.lists(st.sampled_from(["t1", "t2", "t3"]), max_size=3, unique=True)


@given(
    linked=st.booleans(),
    provisioned=st.booleans(),
    first=_ids,
    second=_ids,
    claimed=st.sets(st.sampled_from(["t1", "t2", "t3"])),
    spared=st.booleans(),
)
def test_only_an_unlinked_gone_object_with_one_unclaimed_hit_is_removed(
    linked: bool, provisioned: bool, first: list[str], second: list[str], claimed: set[str], spared: bool
) -> None:
    hits = {("userName", "a@x"): first, ("externalId", "s1"): second}
    decision = decide_intent(
        INTENT.values, linked=linked, provisioned=provisioned, hits=hits, claimed=claimed, spared=spared
    )
    deciding = first or second
    gone = not linked and not provisioned and not spared
    removable = gone and len(deciding) == 1 and deciding[0] not in claimed
    assert (decision.outcome is Outcome.REMOVE) == removable
    if removable:
        assert decision.target_id == deciding[0]
    assert (decision.outcome is Outcome.KEEP) == (not linked and provisioned)


# --- the store ----------------------------------------------------------------------------------------------


def test_intents_are_cleared_by_the_link_commit_or_an_unlink_and_survive_restart_resets(
    tmp_path: Path,
) -> None:
    store = StateStore(f"sqlite:///{tmp_path / 'state.db'}", "job1")
    try:
        store.record_intents("m", [Intent("s1", (("userName", "a"),), NOW), Intent("s2", (), NOW)])
        store.record_intents("m", [Intent("s3", (("userName", "c"),), NOW)])
        assert [i.source_id for i in store.intents("m")] == ["s1", "s2", "s3"]
        assert store.intents("m")[0] == Intent("s1", (("userName", "a"),), NOW)
        store.reset({"watermarks", "datastore", "links", "escrows", "staged", "status"})
        assert store.count_intents() == 3
        batch = Batch()
        batch.link("m", Link("s1", "t1"))
        batch.clear_intent("m", "s1")
        batch.unlink("m", "s2")
        store.commit(batch)
        assert [i.source_id for i in store.intents("m")] == ["s3"]
        assert store.linked_targets("m", ["t1", "t9"]) == {"t1"}
    finally:
        store.close()


def test_a_state_database_from_before_the_journal_opens_and_gains_the_table(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE idsync_metadata (key VARCHAR(64) PRIMARY KEY, value TEXT)")
        conn.execute("INSERT INTO idsync_metadata VALUES ('schema_version', '1')")
    store = StateStore(f"sqlite:///{path}", "job1")
    try:
        store.record_intents("m", [Intent("s1", (), NOW)])
        assert store.count_intents() == 1
    finally:
        store.close()


# --- real crashes -------------------------------------------------------------------------------------------


def _crash(job: Path) -> None:
    """One cycle killed (SIGKILL) right after its first page was written to the target, before its commit."""
    result = subprocess.run(
        [sys.executable, CRASH, str(job)], capture_output=True, text=True, timeout=120, cwd=REPO, check=False
    )
    assert result.returncode == -signal.SIGKILL, result.stdout + result.stderr


def _target(folder: Path) -> list[str]:
    """The target's users as idsync reads them: the file, and the write journal a crashed cycle left."""
    target = create_connector("json", {"path": "target.json"}, ConnectorContext("T", base_dir=folder))
    return sorted(str(o.attributes["userName"]) for page in target.read(USER) for o in page.objects)


def _write_source(folder: Path, users: list[dict]) -> None:
    (folder / "source.json").write_text(json.dumps({"User": users}), encoding="utf-8")


def _uncommitted(engine: SyncEngine, action: str) -> list[str]:
    return sorted(
        r["sourceIdentity"]["id"]
        for r in engine.logs(limit=1000)
        if r["provisioningAction"] == action and "UncommittedCreate" in json.dumps(r)
    )


def test_a_create_killed_before_its_commit_leaves_no_orphan_when_the_source_object_goes(
    tmp_path: Path,
) -> None:
    users = [user("u1"), user("u2"), user("u3"), user("u4")]
    job = write_job(tmp_path, {"User": users})
    _crash(job)
    assert _target(tmp_path) == [f"u{i}@contoso.com" for i in range(1, 5)], "the crash came after the writes"
    # u2 deleted, u3 disabled (never provisioned now), u4 out of the job's reach: nothing links their copies.
    _write_source(tmp_path, [users[0], user("u3", accountEnabled=False)])
    with SyncEngine(load_job(job)) as engine:  # the dry-run shows the deletes and writes nothing
        deletes = [op for op in engine.plan().operations if op.action is Action.DELETE]
        assert sorted(op.source_id for op in deletes) == ["u2", "u3", "u4"]
        assert all(op.reason.startswith("UncommittedCreate") and op.target_id for op in deletes)
        assert engine.store.count_intents() == 4 and len(_target(tmp_path)) == 4
    result = subprocess.run(
        [IDSYNC, "run", str(job)], capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert _target(tmp_path) == ["u1@contoso.com"]
    with SyncEngine(load_job(job)) as engine:
        assert _uncommitted(engine, "delete") == ["u2", "u3", "u4"]
        assert engine.store.count_intents() == 0
        assert set(engine.store.links(engine.mappings[0].key, ["u1"])) == {"u1"}
        again = engine.run_cycle()
        assert again.exported == 0 and again.total(Action.DELETE) == 0


def test_surviving_source_objects_are_relinked_and_their_intents_cleared(tmp_path: Path) -> None:
    users = [user(f"u{i}") for i in range(6)]
    job = write_job(tmp_path, {"User": users}, settings={"pageSize": 3})
    _crash(job)
    assert _target(tmp_path) == [f"u{i}@contoso.com" for i in range(3)]
    with SyncEngine(load_job(job)) as engine:
        assert engine.store.count_intents() == 3
        report = engine.run_cycle()
        assert report.succeeded and report.total(Action.DELETE) == 0
        assert engine.store.count_intents() == 0
        assert _uncommitted(engine, "delete") == []
    assert _target(tmp_path) == [f"u{i}@contoso.com" for i in range(6)]


def test_removals_count_toward_the_threshold_and_survive_a_full_restart(tmp_path: Path) -> None:
    users = [user(f"u{i}") for i in range(5)]
    job = write_job(tmp_path, {"User": users}, settings={"deleteThreshold": 3})
    _crash(job)
    _write_source(tmp_path, users[:1])
    with SyncEngine(load_job(job)) as engine:
        report = engine.run_cycle()
        assert report.quarantine == "TooManyDeletes" and report.staged == 4
        assert len(_target(tmp_path)) == 5
        held = [r["sourceIdentity"]["id"] for r in engine.logs() if r["provisioningAction"] == "stagedDelete"]
        assert sorted(held) == ["u1", "u2", "u3", "u4"]
        # Still held next cycle, not staged (nor logged) twice.
        assert engine.run_cycle().quarantine == "TooManyDeletes" and engine.status()["stagedCount"] == 4
        assert sum(r["provisioningAction"] == "stagedDelete" for r in engine.logs()) == 4
        assert engine.plan().summary()["stagedDelete"] == 4
        # A Full restart clears links and held removals, never the journal: the deletes come back.
        engine.restart({"Full"})
        assert engine.store.count_intents() == 4
        assert engine.run_cycle().quarantine == "TooManyDeletes"
        engine.restart({"ForceDeletes"})
        report = engine.run_cycle()
        assert report.succeeded and report.exported == 4
        assert engine.store.count_intents() == 0
    assert _target(tmp_path) == ["u0@contoso.com"]


@pytest.mark.parametrize("skip_out_of_scope", [False, True])
def test_a_source_object_leaving_scope_after_the_crash(tmp_path: Path, skip_out_of_scope: bool) -> None:
    sales = {"department": "Sales"}
    schema = _scoped_schema(tmp_path)
    settings = {"skipOutOfScopeDeletions": skip_out_of_scope}
    job = write_job(
        tmp_path, {"User": [user("u1", **sales), user("u2", **sales)]}, settings=settings, schema=schema
    )
    _crash(job)
    _write_source(tmp_path, [user("u1", department="Excluded")])
    with SyncEngine(load_job(job)) as engine:
        assert engine.run_cycle().succeeded
        assert engine.store.count_intents() == 0
        if skip_out_of_scope:  # as if it had been linked before leaving scope: kept, and said so
            assert _target(tmp_path) == ["u1@contoso.com"]
            assert _uncommitted(engine, "other") == ["u1"] and _uncommitted(engine, "delete") == ["u2"]
        else:
            assert _target(tmp_path) == []
            assert _uncommitted(engine, "delete") == ["u1", "u2"]


def test_a_rejected_create_leaves_no_intent(tmp_path: Path) -> None:
    job = write_job(tmp_path, {"User": [user("u1"), user("u2")]})
    with SyncEngine(load_job(job)) as engine:
        target = engine.connectors["SCIM App"]
        original = target.apply
        recorded: list[int] = []

        def reject_u2(changes):
            recorded.append(engine.store.count_intents())  # journaled before the export
            results = original([c for c in changes if c.key != "u2"])
            rejected = ApplyResult("u2", None, ObjectRejected("bad value"))
            return [rejected if c.key == "u2" else results.pop(0) for c in changes]

        target.apply = reject_u2  # type: ignore[method-assign]
        report = engine.run_cycle()
        assert recorded == [2] and report.escrowed == 1 and report.exported == 1
        assert engine.store.count_intents() == 0


@pytest.mark.peer
def test_the_journal_round_trips_on_postgres(postgres_url: str) -> None:
    store = StateStore(postgres_url, f"job-{uuid.uuid4().hex[:8]}")
    try:
        store.record_intents("m", [Intent("s1", (("userName", "Zoë@x"),), NOW), Intent("s2", (), NOW)])
        store.record_intents("m", [Intent("s1", (("userName", "z@x"),), NOW)])  # journaled again: replaced
        assert store.intents("m") == [Intent("s1", (("userName", "z@x"),), NOW), Intent("s2", (), NOW)]
        batch = Batch()
        batch.link("m", Link("s1", "t1"))
        batch.clear_intent("m", "s1")
        store.commit(batch)
        assert [i.source_id for i in store.intents("m")] == ["s2"]
        assert store.linked_targets("m", ["t1"]) == {"t1"}
    finally:
        store.close()
