"""The APScheduler adapter: pure interval policy with an injected clock, then the real scheduler at
sub-second intervals (no real minutes are waited for)."""

from __future__ import annotations

import itertools
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine.scheduler import (
    QUARANTINE_MAX_INTERVAL,
    CycleOutcome,
    Scheduler,
    effective_interval,
    next_run_time,
    quarantine_expired,
)

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def test_interval_is_the_jobs_own_when_not_quarantined() -> None:
    assert effective_interval(timedelta(minutes=40), 0) == timedelta(minutes=40)


def test_quarantine_doubles_the_interval_up_to_a_day() -> None:
    base = timedelta(minutes=40)
    assert effective_interval(base, 1) == timedelta(minutes=80)
    assert effective_interval(base, 2) == timedelta(minutes=160)
    assert effective_interval(base, 10) == QUARANTINE_MAX_INTERVAL
    assert effective_interval(base, 10_000) == QUARANTINE_MAX_INTERVAL


def test_a_job_slower_than_daily_keeps_its_own_interval_in_quarantine() -> None:
    assert effective_interval(timedelta(days=2), 3) == timedelta(days=2)


@given(
    base=st.timedeltas(min_value=timedelta(seconds=1), max_value=timedelta(days=3)),
    series=st.integers(min_value=0, max_value=200),
)
def test_quarantine_interval_is_bounded_and_monotonic(base: timedelta, series: int) -> None:
    current = effective_interval(base, series)
    assert base <= current <= max(base, QUARANTINE_MAX_INTERVAL)
    assert effective_interval(base, series + 1) >= current


def test_quarantine_expires_after_four_weeks() -> None:
    assert not quarantine_expired(None, T0)
    assert not quarantine_expired(T0, T0 + timedelta(days=27, hours=23))
    assert quarantine_expired(T0, T0 + timedelta(weeks=4))


def test_next_run_counts_from_the_injected_now() -> None:
    outcome = CycleOutcome(succeeded=False, quarantine_series=2)
    assert next_run_time(T0, timedelta(seconds=5), outcome) == T0 + timedelta(seconds=20)
    assert next_run_time(T0, timedelta(seconds=5), CycleOutcome(True)) == T0 + timedelta(seconds=5)


def _future_clock() -> datetime:
    # A clock a year ahead: the backend never fires on its own, so run_now is the only way cycles run.
    return datetime.now(UTC) + timedelta(days=365)


def test_quarantine_outcome_stretches_the_next_run_and_success_restores_it() -> None:
    outcomes = iter([CycleOutcome(False, quarantine_series=3), CycleOutcome(True)])
    sched = Scheduler(clock=lambda: T0 + timedelta(days=3650))
    sched.add("j", timedelta(seconds=10), lambda stop: next(outcomes))
    sched.start()
    try:
        sched.run_now("j")
        assert sched.next_run("j") == T0 + timedelta(days=3650, seconds=80)
        sched.run_now("j")
        assert sched.next_run("j") == T0 + timedelta(days=3650, seconds=10)
    finally:
        sched.shutdown()


def test_cycles_of_one_job_never_overlap_and_repeat_at_the_interval() -> None:
    spans: list[tuple[float, float]] = []

    def cycle(stop: threading.Event) -> CycleOutcome:
        began = time.monotonic()
        time.sleep(0.15)
        spans.append((began, time.monotonic()))
        return CycleOutcome(True)

    sched = Scheduler()
    sched.add("j", timedelta(seconds=0.1), cycle)
    sched.start()
    try:
        deadline = time.monotonic() + 5
        while len(spans) < 4 and time.monotonic() < deadline:
            time.sleep(0.05)
        # A run asked for by hand while one is in progress is folded into a rerun, not run alongside.
        threading.Thread(target=sched.run_now, args=("j",)).start()
    finally:
        sched.shutdown()
    assert len(spans) >= 4
    ordered = sorted(spans)
    for (_, end), (start, _) in itertools.pairwise(ordered):
        assert start >= end


def test_two_jobs_keep_their_own_intervals() -> None:
    counts = {"fast": 0, "slow": 0}

    def make(name: str):  # type: ignore[no-untyped-def]
        def cycle(stop: threading.Event) -> CycleOutcome:
            counts[name] += 1
            return CycleOutcome(True)

        return cycle

    sched = Scheduler()
    sched.add("fast", timedelta(seconds=0.1), make("fast"))
    sched.add("slow", timedelta(seconds=30), make("slow"))
    sched.start()
    deadline = time.monotonic() + 10  # generous: a loaded CI machine may lag, the assertion does not change
    while counts["fast"] < 4 and time.monotonic() < deadline:
        time.sleep(0.02)
    sched.shutdown()
    assert counts["fast"] >= 4
    assert counts["slow"] == 1  # its first cycle runs at once, the next is 30 s away


def test_shutdown_sets_stop_and_waits_for_the_running_cycle() -> None:
    started = threading.Event()
    finished: list[bool] = []

    def cycle(stop: threading.Event) -> CycleOutcome:
        started.set()
        stopped = stop.wait(timeout=10)  # stands for "finish the current batch when asked"
        finished.append(stopped)
        return CycleOutcome(True)

    sched = Scheduler()
    sched.add("j", timedelta(minutes=40), cycle)
    sched.start()
    assert started.wait(5)
    sched.shutdown()
    assert finished == [True]


def test_a_raising_cycle_is_a_failed_outcome_and_the_job_stays_scheduled() -> None:
    def cycle(stop: threading.Event) -> CycleOutcome:
        raise RuntimeError("boom")

    sched = Scheduler(clock=_future_clock)
    sched.add("j", timedelta(seconds=10), cycle, paused=True)
    sched.start()
    try:
        sched.resume("j", at=_future_clock())
        assert sched.run_now("j") == CycleOutcome(succeeded=False)
        assert sched.next_run("j") is not None
    finally:
        sched.shutdown()


def test_paused_job_does_not_run_until_resumed() -> None:
    ran = threading.Event()
    sched = Scheduler()
    sched.add("j", timedelta(seconds=0.1), lambda stop: (ran.set(), CycleOutcome(True))[1], paused=True)
    sched.start()
    try:
        assert not ran.wait(0.4)
        assert sched.next_run("j") is None
        sched.resume("j")
        assert ran.wait(3)
    finally:
        sched.shutdown()


def test_interval_must_be_positive() -> None:
    sched = Scheduler()
    with pytest.raises(ValueError, match="must be positive"):
        sched.add("j", timedelta(0), lambda stop: CycleOutcome(True))


def test_missed_runs_are_coalesced_after_a_long_cycle() -> None:
    """A first cycle 8 intervals long is followed by evenly spaced cycles, not a burst of the missed ones."""
    starts: list[float] = []

    def cycle(stop: threading.Event) -> CycleOutcome:
        starts.append(time.monotonic())
        if len(starts) == 1:
            time.sleep(0.8)
        return CycleOutcome(True)

    sched = Scheduler()
    sched.add("j", timedelta(seconds=0.1), cycle)
    sched.start()
    try:
        deadline = time.monotonic() + 5
        while len(starts) < 4 and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        sched.shutdown()
    assert len(starts) >= 4
    gaps = [later - earlier for earlier, later in itertools.pairwise(starts[1:4])]
    assert min(gaps) >= 0.07, gaps  # back-to-back catch-up runs would start within milliseconds
