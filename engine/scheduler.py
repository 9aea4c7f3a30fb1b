"""The daemon's scheduler: APScheduler 3.x behind a thin adapter (STYLE.md habit 16).

Called by the daemon (``engine.daemon``); nothing else in idsync touches APScheduler, so a move to another
scheduler (APScheduler 4, or a distributed engine later) changes this module only.

Guarantees, each enforced here rather than trusted to the caller:

* every job cycles at its own interval, seconds allowed (``PT5S``);
* never two cycles of one job at once: APScheduler's ``max_instances=1`` for scheduled runs, plus a per-job
  lock so that a run asked for by hand (``trigger``) cannot overlap a scheduled one either;
* missed runs are coalesced (``coalesce=True``, no misfire grace limit): after a long cycle or a suspended
  machine one cycle runs, not a burst;
* quarantine stretches the interval (spec §D.6, see ``effective_interval``) and a successful cycle brings it
  back, because the next run time is recomputed from each cycle's outcome;
* ``shutdown`` sets the stop event every cycle receives — the engine finishes its current batch, commits and
  returns — then waits for running cycles before returning.

The policy is a pure function of values and an injected clock (``clock=``), so tests check it without
waiting for real minutes.

``Runner`` is the port the daemon runs jobs through: ``Scheduler`` (this module: APScheduler, one process)
is the embedded runner; ``engine.fleet.DbosRunner`` is the fleet's (the daemon only enqueues cycles, which
``idsync worker`` processes run on DBOS Transact).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger

__all__ = [
    "QUARANTINE_DISABLE_AFTER",
    "QUARANTINE_MAX_INTERVAL",
    "CycleOutcome",
    "Runner",
    "Scheduler",
    "effective_interval",
    "next_run_time",
    "quarantine_expired",
    "utcnow",
]

log = logging.getLogger("idsync.scheduler")

#: While quarantined, Entra's cycle frequency decays until it reaches once a day (spec §D.6).
QUARANTINE_MAX_INTERVAL = timedelta(days=1)
#: After four weeks in quarantine Entra disables the job (spec §D.6).
QUARANTINE_DISABLE_AFTER = timedelta(weeks=4)

Clock = Callable[[], datetime]


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class CycleOutcome:
    """What the scheduler needs to know about a finished cycle to plan the next one.

    ``quarantine_series`` counts the successive cycles that ended in quarantine (Graph's
    ``synchronizationQuarantine.seriesCount``); 0 when the job is not quarantined.
    """

    succeeded: bool
    quarantine_series: int = 0


def effective_interval(base: timedelta, quarantine_series: int) -> timedelta:
    """The interval until the next cycle, given the job's own interval and its quarantine series.

    The spec says only that the frequency "decays to once a day". Decision: each quarantined cycle doubles the
    interval (``base * 2**series``), never beyond a day; a job whose own interval is already longer than a day
    keeps its own. Doubling is what users of Entra observe (retries thin out quickly) and it keeps a
    short-interval test job (``PT5S``) from hammering a broken target.
    """
    if quarantine_series <= 0:
        return base
    ceiling = max(base, QUARANTINE_MAX_INTERVAL)
    stretched = base
    # Double step by step: a long series must not build a huge multiplier that overflows timedelta.
    for _ in range(quarantine_series):
        if stretched >= ceiling:
            break
        stretched *= 2
    return min(stretched, ceiling)


def quarantine_expired(series_began: datetime | None, now: datetime) -> bool:
    """True once a quarantine series has lasted four weeks: the job is then stopped (spec §D.6)."""
    return series_began is not None and now - series_began >= QUARANTINE_DISABLE_AFTER


def next_run_time(now: datetime, base: timedelta, outcome: CycleOutcome) -> datetime:
    """When the next cycle starts, counted from the end of the one that just finished."""
    return now + effective_interval(base, outcome.quarantine_series)


CycleFn = Callable[[threading.Event], CycleOutcome]


class Runner(Protocol):
    """Where the daemon's jobs run: registered by key (``principal/job``) with their interval and cycle."""

    @property
    def clock(self) -> Clock: ...

    def start(self) -> None: ...

    def shutdown(self) -> None: ...

    def add(
        self,
        job_id: str,
        interval: timedelta,
        cycle: CycleFn,
        *,
        paused: bool = False,
        first_run: datetime | None = None,
    ) -> None: ...

    def remove(self, job_id: str) -> None: ...

    def trigger(self, job_id: str) -> None:
        """A cycle as soon as possible (another right after a running one)."""

    def next_run(self, job_id: str) -> datetime | None: ...

    def run_now(self, job_id: str) -> CycleOutcome | None: ...


@dataclass
class _Entry:
    interval: timedelta
    cycle: CycleFn
    lock: threading.Lock = field(default_factory=threading.Lock)
    rerun_requested: bool = False


class Scheduler:
    """Runs each registered job's cycle at its interval on a background thread pool.

    ``cycle(stop)`` is called with the shared stop event and returns a ``CycleOutcome``; an exception from it
    is logged and treated as a failed cycle (the daemon must keep running other jobs).
    """

    def __init__(self, *, clock: Clock = utcnow, max_workers: int = 4) -> None:
        self._clock = clock
        self._stop = threading.Event()
        self._entries: dict[str, _Entry] = {}
        self._backend = BackgroundScheduler(
            timezone=UTC,
            job_defaults={"max_instances": 1, "coalesce": True, "misfire_grace_time": None},
            executors={"default": {"type": "threadpool", "max_workers": max_workers}},
        )

    @property
    def clock(self) -> Clock:
        return self._clock

    @property
    def stop_event(self) -> threading.Event:
        return self._stop

    def start(self) -> None:
        self._backend.start()

    def shutdown(self) -> None:
        """Ask running cycles to stop after their current batch and wait for them; idempotent."""
        self._stop.set()
        if self._backend.running:
            # Not wait=True: APScheduler 3 joins its worker threads while holding its job-store lock, and a
            # cycle that is finishing needs that lock to plan its next run (``_plan_next``): a deadlock.
            # Every cycle holds its job's lock while it runs, so waiting on those locks is the same wait.
            self._backend.shutdown(wait=False)
        for entry in list(self._entries.values()):  # scheduled cycles and ``run_now`` on other threads
            with entry.lock:
                pass

    def add(
        self,
        job_id: str,
        interval: timedelta,
        cycle: CycleFn,
        *,
        paused: bool = False,
        first_run: datetime | None = None,
    ) -> None:
        """Register a job; its first cycle runs at ``first_run`` (default: now) unless ``paused``."""
        if interval <= timedelta(0):
            raise ValueError(f"job {job_id!r}: the schedule interval must be positive, got {interval}")
        self._entries[job_id] = _Entry(interval, cycle)
        self._backend.add_job(
            self._run,
            trigger=IntervalTrigger(seconds=interval.total_seconds(), timezone=UTC),
            args=(job_id,),
            id=job_id,
            name=job_id,
            replace_existing=True,
            next_run_time=None if paused else (first_run or self._clock()),
        )

    def remove(self, job_id: str) -> None:
        self._entries.pop(job_id, None)
        if self._backend.get_job(job_id) is not None:
            self._backend.remove_job(job_id)

    def pause(self, job_id: str) -> None:
        """No further cycles start; a running one finishes normally."""
        self._backend.pause_job(job_id)

    def resume(self, job_id: str, *, at: datetime | None = None) -> None:
        """Schedule the job again, its next cycle at ``at`` (default: now)."""
        self._backend.modify_job(job_id, next_run_time=at or self._clock())

    def trigger(self, job_id: str) -> None:
        """Run a cycle as soon as possible; if one is running, run another right after it."""
        entry = self._entries[job_id]
        if entry.lock.locked():
            entry.rerun_requested = True
        else:
            self.resume(job_id)

    def has_job(self, job_id: str) -> bool:
        return job_id in self._entries

    def next_run(self, job_id: str) -> datetime | None:
        job = self._backend.get_job(job_id)
        return None if job is None else job.next_run_time

    def run_now(self, job_id: str) -> CycleOutcome | None:
        """Run one cycle on the calling thread (tests, ``idsync run``); None when one is already running."""
        return self._run(job_id)

    def _run(self, job_id: str) -> CycleOutcome | None:
        entry = self._entries.get(job_id)
        if entry is None or self._stop.is_set():
            return None
        if not entry.lock.acquire(blocking=False):
            log.info("job %s: a cycle is already running; this run is coalesced into it", job_id)
            return None
        try:
            if self._stop.is_set():  # shutdown began between the check above and taking the lock
                return None
            outcome = self._guarded_cycle(job_id, entry)
            self._plan_next(job_id, entry, outcome)
            return outcome
        finally:
            entry.lock.release()

    def _guarded_cycle(self, job_id: str, entry: _Entry) -> CycleOutcome:
        try:
            return entry.cycle(self._stop)
        except Exception:
            # The daemon keeps its other jobs running; the failure is the engine's to record in the state.
            log.exception("job %s: the cycle raised", job_id)
            return CycleOutcome(succeeded=False)

    def _plan_next(self, job_id: str, entry: _Entry, outcome: CycleOutcome) -> None:
        if self._stop.is_set() or job_id not in self._entries:
            return
        job = self._backend.get_job(job_id)
        if job is None or job.next_run_time is None:  # removed or paused while the cycle ran
            return
        now = self._clock()
        when = now if entry.rerun_requested else next_run_time(now, entry.interval, outcome)
        entry.rerun_requested = False
        self._backend.modify_job(job_id, next_run_time=when)
