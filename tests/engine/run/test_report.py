"""Job status bookkeeping: quarantine reasons and lifting (spec §C.4, §D.5, §D.6)."""

from __future__ import annotations

from datetime import UTC, datetime

from engine.run._report import CycleReport, apply_report, failure_quarantine, initial_status

NOW = datetime(2026, 3, 1, tzinfo=UTC)


def report(**kwargs: object) -> CycleReport:
    item = CycleReport("c1", "job", False, NOW, ended=NOW)
    for key, value in kwargs.items():
        setattr(item, key, value)
    return item


def test_failure_proportion_thresholds_scale_with_the_job() -> None:
    assert failure_quarantine(report(escrowed=9), 10) is None  # below the evaluation start
    assert failure_quarantine(report(escrowed=10), 12) == "EncounteredEscrowProportionThreshold"
    assert failure_quarantine(report(escrowed=10), 100) is None  # 10 % fail: below 40 %
    assert failure_quarantine(report(escrowed=40_001), 200_000) == "EncounteredTotalEscrowThreshold"


def test_bad_credentials_quarantine_at_once_and_success_lifts_it() -> None:
    status = initial_status()
    apply_report(status, report(state="Failed", error="401", error_code="AuthenticationFailed"), NOW, 1)
    assert status["code"] == "Quarantine"
    assert status["quarantine"]["reason"] == "EncounteredQuarantineException"
    apply_report(status, report(), NOW, 1)
    assert status["code"] == "Active" and status["quarantine"] is None
    assert status["countSuccessiveCompleteFailures"] == 0


def test_three_failed_cycles_in_a_row_quarantine() -> None:
    status = initial_status()
    for _ in range(2):
        apply_report(status, report(state="Failed", error="down", error_code="ConnectionFailed"), NOW, 1)
        assert status["quarantine"] is None and status["code"] == "NotRun"
    apply_report(status, report(state="Failed", error="down", error_code="ConnectionFailed"), NOW, 1)
    assert status["code"] == "Quarantine" and status["countSuccessiveCompleteFailures"] == 3


def test_too_many_deletes_is_not_lifted_by_a_successful_cycle() -> None:
    status = initial_status()
    apply_report(status, report(quarantine="TooManyDeletes", staged=600), NOW, 1000)
    apply_report(status, report(exported=3), NOW, 10)
    assert status["quarantine"]["reason"] == "TooManyDeletes" and status["quarantine"]["seriesCount"] == 1


def test_steady_state_and_last_executions() -> None:
    status = initial_status()
    apply_report(status, report(exported=5), NOW, 5)
    assert status["lastSuccessfulExecutionWithExports"]["countExported"] == 5
    assert status["steadyStateFirstAchievedTime"] == "0001-01-01T00:00:00Z"
    apply_report(status, report(), NOW, 0)
    assert status["steadyStateFirstAchievedTime"] == NOW.isoformat()
    assert status["lastExecution"]["state"] == "Succeeded"


def test_an_initial_cycle_full_of_failures_prunes_escrows_and_pauses() -> None:
    status = initial_status()
    initial = report(escrowed=50, full=True)
    assert apply_report(status, initial, NOW, 60) is True
    assert status["escrowsPruned"] and status["paused"] and status["code"] == "Paused"
    assert status["quarantine"] is None
    later = initial_status()
    assert apply_report(later, report(escrowed=50), NOW, 60) is False
    assert later["quarantine"]["reason"] == "EncounteredEscrowProportionThreshold"
