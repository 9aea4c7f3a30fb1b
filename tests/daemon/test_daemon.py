"""The daemon's job lifecycle over fake engines: quarantine stretches the schedule, pause stops a running
cycle after its batch, a raising cycle is recorded and the daemon goes on, logs carry job and cycle ids."""

from __future__ import annotations

import json
import logging
import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from engine.daemon import Daemon, configure_logging, outcome_from_status, unconfigure_logging
from engine.scheduler import CycleOutcome, Scheduler
from tests.api.fakes import FakeEngine, FakeJob

NOW = datetime(2030, 6, 1, tzinfo=UTC)


def _daemon(engines: dict[str, FakeEngine], *jobs: FakeJob, clock: Any = None) -> Daemon:
    def factory(job: Any) -> FakeEngine:
        engines[job.id] = FakeEngine(job)
        return engines[job.id]

    scheduler = Scheduler(clock=clock) if clock else None
    return Daemon(list(jobs) or [FakeJob("a")], engine_factory=factory, scheduler=scheduler)


def test_outcome_from_status() -> None:
    assert outcome_from_status({"code": "Active", "lastExecution": {"state": "Succeeded"}}) == CycleOutcome(
        True
    )
    assert outcome_from_status({"code": "Active", "lastExecution": {"state": "Failed"}}) == CycleOutcome(
        False
    )
    quarantined = {"code": "Quarantine", "quarantine": {"seriesCount": 3}}
    assert outcome_from_status(quarantined) == CycleOutcome(False, quarantine_series=3)
    assert outcome_from_status({"code": "Quarantine"}) == CycleOutcome(False, quarantine_series=1)


def test_quarantine_stretches_the_next_run_and_success_restores_it() -> None:
    engines: dict[str, FakeEngine] = {}
    daemon = _daemon(engines, FakeJob("a", interval=timedelta(minutes=10)), clock=lambda: NOW)
    daemon.start()
    try:
        engines["a"].code = "Quarantine"  # the fake reports seriesCount 2
        daemon.run_now(daemon.get("local", "a"))
        assert daemon.scheduler.next_run("local/a") == NOW + timedelta(minutes=40)
        engines["a"].code = "Active"
        daemon.run_now(daemon.get("local", "a"))
        assert daemon.scheduler.next_run("local/a") == NOW + timedelta(minutes=10)
        assert 'idsync_quarantined{job="a"} 0.0' in daemon.metrics.render().decode()
    finally:
        daemon.shutdown()


def test_four_weeks_in_quarantine_pause_the_job() -> None:
    engines: dict[str, FakeEngine] = {}
    daemon = _daemon(engines, FakeJob("a"), clock=lambda: NOW)
    engines["a"].code = "Quarantine"
    engines["a"].series_began = (NOW - timedelta(days=27)).isoformat()
    daemon.run_now(daemon.get("local", "a"))
    assert ("pause",) not in engines["a"].calls
    engines["a"].series_began = (NOW - timedelta(days=28)).isoformat()
    daemon.run_now(daemon.get("local", "a"))
    assert engines["a"].calls[-1] == ("pause",)
    daemon.shutdown()


def test_pause_asks_the_running_cycle_to_stop_after_its_batch() -> None:
    engines: dict[str, FakeEngine] = {}
    daemon = _daemon(engines, FakeJob("a"))
    engine = engines["a"]
    engine.release.clear()
    runner = threading.Thread(target=daemon.run_now, args=(daemon.get("local", "a"),))
    runner.start()
    assert engine.cycle_started.wait(5)
    daemon.pause_job(daemon.get("local", "a"))  # returns once the cycle has stopped and the job is paused
    runner.join(5)
    assert engine.calls == [("run_cycle", True), ("pause",)]
    assert not daemon.get("local", "a").stop.is_set()  # the next start runs normally
    daemon.shutdown()


def test_a_raising_cycle_is_a_failed_cycle_and_other_jobs_go_on(caplog: pytest.LogCaptureFixture) -> None:
    engines: dict[str, FakeEngine] = {}
    daemon = _daemon(engines, FakeJob("a"), FakeJob("b"))
    engines["a"].fail_with = RuntimeError("target unreachable")
    with caplog.at_level(logging.ERROR, logger="idsync.daemon"):
        assert daemon.run_now(daemon.get("local", "a")) == CycleOutcome(False)
    assert daemon.run_now(daemon.get("local", "b")) == CycleOutcome(True)
    metrics = daemon.metrics.render().decode()
    assert 'idsync_cycles_total{job="a",outcome="failed"} 1.0' in metrics
    assert 'idsync_errors_total{job="a",kind="cycleFailure"} 1.0' in metrics
    assert 'idsync_cycles_total{job="b",outcome="succeeded"} 1.0' in metrics
    assert "target unreachable" in caplog.text
    daemon.shutdown()


def test_json_logs_carry_the_job_and_cycle_ids(capsys: pytest.CaptureFixture[str]) -> None:
    engines: dict[str, FakeEngine] = {}
    daemon = _daemon(engines, FakeJob("a"))
    handler = configure_logging(json_lines=True)
    try:
        daemon.run_now(daemon.get("local", "a"))
    finally:
        unconfigure_logging(handler)
        daemon.shutdown()
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines() if line.startswith("{")]
    finished = [line for line in lines if line["message"].startswith("cycle finished")]
    assert finished and finished[0]["jobId"] == "a" and finished[0]["cycleId"] == "c1"
    assert finished[0]["level"] == "info" and finished[0]["time"].endswith("Z")


def test_two_jobs_with_one_id_are_refused() -> None:
    with pytest.raises(ValueError, match="two job files define job 'a'"):
        _daemon({}, FakeJob("a"), FakeJob("a"))


def test_jobs_of_other_service_principals_are_kept_apart() -> None:
    engines: dict[str, FakeEngine] = {}
    daemon = _daemon(engines, FakeJob("a"), FakeJob("a", service_principal="hr"))
    assert daemon.principals() == {"local", "hr"}
    assert [m.principal for m in daemon.jobs("hr")] == ["hr"]
    # Same id, two principals: two scheduled jobs, each cycling its own engine.
    assert daemon.scheduler.has_job("local/a") and daemon.scheduler.has_job("hr/a")
    daemon.run_now(daemon.get("hr", "a"))
    assert [c[0] for c in daemon.get("hr", "a").engine.calls] == ["run_cycle"]  # type: ignore[attr-defined]
    assert daemon.get("local", "a").engine.calls == []  # type: ignore[attr-defined]
    daemon.shutdown()


def test_report_counts_read_the_engines_cycle_report() -> None:
    from engine.daemon._report import cycle_id_of, report_counts
    from engine.run import CycleReport

    report = CycleReport("c-42", "a", False, NOW)
    report.count("User", "create")
    report.count("Group", "create")
    report.count("User", "update")
    report.escrowed = 2
    assert cycle_id_of(report) == "c-42"
    assert report_counts(report) == ({"create": 2, "update": 1}, {"escrow": 2})
    report.state, report.error, report.error_code = "Failed", "401", "AuthenticationFailed"
    assert report_counts(report)[1] == {"escrow": 2, "AuthenticationFailed": 1}


def test_a_quarantined_cycle_has_one_state_in_the_log_the_metrics_and_the_status(
    capsys: pytest.CaptureFixture[str],
) -> None:
    engines: dict[str, FakeEngine] = {}
    daemon = _daemon(engines, FakeJob("a"))
    managed = daemon.get("local", "a")
    engines["a"].code = "Quarantine"  # its lastExecution.state stays "Succeeded", as the engine's does
    handler = configure_logging(json_lines=True)
    try:
        daemon.run_now(managed)
    finally:
        unconfigure_logging(handler)
    metrics = daemon.metrics.render().decode()
    assert 'idsync_cycles_total{job="a",outcome="quarantined"} 1.0' in metrics
    assert 'outcome="succeeded"' not in metrics and 'outcome="failed"' not in metrics
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines() if line.startswith("{")]
    finished = next(line for line in lines if line["message"].startswith("cycle finished"))
    assert finished["outcome"] == "quarantined" and finished["code"] == "Quarantine"
    assert finished["quarantineReason"] == "TooManyDeletes" and finished["level"] == "warning"
    assert finished["actions"] == {"create": 3, "update": 1}  # a JSON object, not a Python repr
    assert "{'" not in finished["message"]
    status = daemon.status(managed)
    assert status["code"] == "Quarantine"
    planned = daemon.scheduler.next_run(managed.key)
    assert planned is not None
    assert status["quarantine"]["nextAttempt"] == planned.isoformat().replace("+00:00", "Z")
    daemon.shutdown()


def test_a_failed_cycle_logs_its_error() -> None:
    engines: dict[str, FakeEngine] = {}
    daemon = _daemon(engines, FakeJob("a"))
    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    keep = Keep()
    logging.getLogger("idsync.daemon").addHandler(keep)
    try:
        engines["a"].fail_with = RuntimeError("connection refused")
        daemon.run_now(daemon.get("local", "a"))
    finally:
        logging.getLogger("idsync.daemon").removeHandler(keep)
        daemon.shutdown()
    finished = next(r for r in records if r.getMessage().startswith("cycle finished"))
    assert finished.levelno == logging.WARNING
    assert "failed" in finished.getMessage() and "cycleFailure" in finished.getMessage()
    assert "RuntimeError: connection refused" in finished.getMessage()
    assert "no changes" in finished.getMessage()
