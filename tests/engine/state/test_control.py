"""Operator controls in the control row (``engine.state._control``) and how a status folds them
(``merge_control``): requests from any process, never lost by a cycle writing its status back."""

from __future__ import annotations

from pathlib import Path

from engine import SyncEngine, load_job
from engine.run._engine import merge_control
from engine.state import Batch, Control, StateStore
from tests.engine.run.conftest import user, write_job


def test_requests_are_numbered_and_one_shots_keep_their_number(tmp_path: Path) -> None:
    store = StateStore(f"sqlite:///{tmp_path / 'state.db'}", "job")
    try:
        assert store.control() == Control()
        assert store.request_control(paused=True, stop=True) == Control(1, True, 0, 0, 1)
        assert store.request_control(paused=False, lift=True) == Control(2, False, 0, 2, 1)
        assert store.request_control(force=True) == Control(3, False, 3, 2, 1)  # paused unchanged
    finally:
        store.close()


def test_a_cycle_status_written_back_keeps_a_pause_given_meanwhile() -> None:
    at_start = merge_control({"paused": False}, Control())
    written = {**at_start, "lastExecution": {"state": "Succeeded"}}  # what the cycle commits at its end
    assert merge_control(written, Control(1, True, 0, 0, 1))["paused"] is True


def test_a_cycle_s_own_pause_counts_until_an_operator_acts() -> None:
    control = Control(4, False, 0, 0, 0)
    own = {**merge_control({}, control), "paused": True}  # e.g. an initial cycle that pruned escrows
    assert merge_control(own, control)["paused"] is True
    assert merge_control(own, Control(5, False, 0, 5, 0))["paused"] is False  # a start since


def test_lifts_and_forced_deletes_are_acted_on_once() -> None:
    status = {"quarantine": {"reason": "TooManyDeletes"}, "liftSeen": 2, "forceDeletesSeen": 3}
    assert merge_control(status, Control(3, False, 3, 2, 0))["quarantine"] is not None  # both seen already
    lifted = merge_control(status, Control(4, False, 3, 4, 0))
    assert lifted["quarantine"] is None and lifted["liftSeen"] == 4
    assert merge_control(status, Control(5, False, 5, 2, 0))["forceDeletes"] is True


def test_pause_and_start_need_no_lease_and_restart_forces_deletes_once(tmp_path: Path) -> None:
    path = write_job(
        tmp_path, {"User": [user("u1"), user("u2"), user("u3")]}, settings={"deleteThreshold": 1}
    )
    with SyncEngine(load_job(path)) as engine, SyncEngine(load_job(path)) as other:
        assert engine.run_cycle().succeeded
        with engine.lease():
            other.pause()
            assert other.status()["code"] == "Paused"
            other.start()
            assert other.status()["code"] != "Paused"
        (tmp_path / "source.json").write_text('{"User": []}', encoding="utf-8")
        engine.run_cycle()
        assert engine.status()["quarantine"]["reason"] == "TooManyDeletes"
        other.restart({"ForceDeletes"})
        assert engine.status()["forceDeletes"] is True and engine.status().get("quarantine") is None
        assert engine.run_cycle().succeeded
        assert engine.status()["forceDeletes"] is False  # acted on: the next cycle holds deletions again
        stored = engine.store.status()
        assert stored["forceDeletesSeen"] == engine.store.control().force_seq
        engine.store.commit(Batch(status={**stored, "paused": True, "controlSeq": 0}))  # a stale pause
        assert engine.status()["code"] != "Paused"
