"""A worker fleet's schedule (table ``job_schedule`` of the state database): when each job's next cycle is
due, and which worker runs it now.

Every worker ticks; a due job is *claimed* by a compare-and-set of its ``next_run`` (the one worker whose
UPDATE matched enqueues it, the others see it moved), so ticks of several workers never enqueue one due slot
twice. The cycle sets the next run from its outcome when it ends (interval, quarantine back-off). Times are
wall-clock epoch milliseconds (hosts keep their clocks in step, as for the lease).
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence

from sqlalchemy.exc import SQLAlchemyError

from ._open import close_engine, open_engine, prepare
from ._sql import Sql, chunks, marks
from ._types import StateError

__all__ = ["Schedule", "now_ms"]


def now_ms() -> int:
    return int(time.time() * 1000)


class Schedule:
    """The ``job_schedule`` rows of one state database (jobs named by ``principal/job``)."""

    def __init__(self, url: str) -> None:
        self.url = url
        try:
            self._engine = open_engine(url)
            self._sql = Sql(self._engine.dialect)
            prepare(self._engine, self._sql, url)
        except (SQLAlchemyError, ValueError) as exc:
            raise StateError(f"cannot open the state database {url}: {exc}") from exc

    def close(self) -> None:
        close_engine(self.url, self._engine)

    def _run(self, sql: str, params: Sequence[object] = ()) -> int:
        try:
            with self._engine.begin() as conn:
                return int(self._sql.run(conn, sql, params).rowcount)
        except SQLAlchemyError as exc:
            raise StateError(f"cannot write the schedule in {self.url}: {exc}") from exc

    def _query(self, sql: str, params: Sequence[object] = ()) -> list[tuple[object, ...]]:
        try:
            with self._engine.connect() as conn:
                return [tuple(row) for row in self._sql.query(conn, sql, params)]
        except SQLAlchemyError as exc:
            raise StateError(f"cannot read the schedule in {self.url}: {exc}") from exc

    def ensure(self, key: str, interval: float, first_run: int | None = None) -> None:
        """Schedule ``key`` every ``interval`` seconds (first run: ``first_run``, default now) unless it is
        scheduled already; its interval is updated either way."""
        ms = max(1, int(interval * 1000))
        insert = "INSERT INTO job_schedule (job_key, interval_ms, next_run) VALUES (?, ?, ?)"
        if self._sql.upserts:
            insert += " ON CONFLICT (job_key) DO UPDATE SET interval_ms = excluded.interval_ms"
            self._run(insert, (key, ms, now_ms() if first_run is None else first_run))
            return
        if self._run("UPDATE job_schedule SET interval_ms = ? WHERE job_key = ?", (ms, key)) == 0:
            self._run(insert, (key, ms, now_ms() if first_run is None else first_run))

    def claim_due(self, keys: Iterable[str], now: int | None = None) -> list[str]:
        """The jobs among ``keys`` due by ``now`` that this caller claimed (their next run moved one interval
        on, so no other tick claims the same slot)."""
        moment = now_ms() if now is None else now
        due: list[tuple[object, ...]] = []
        for chunk in chunks(sorted(keys)):
            select = (
                "SELECT job_key, next_run, interval_ms FROM job_schedule "
                f"WHERE next_run <= ? AND job_key IN ({marks(len(chunk))})"
            )
            due.extend(self._query(select, (moment, *chunk)))
        claim = "UPDATE job_schedule SET next_run = ? WHERE job_key = ? AND next_run = ?"
        return [
            str(key)
            for key, next_run, interval in due
            if self._run(claim, (moment + int(str(interval)), key, next_run)) == 1
        ]

    def set_next(self, key: str, when: int) -> None:
        """The job's next cycle is due at ``when`` (epoch ms), unless it was triggered meanwhile (then it
        stays due now: a trigger during a cycle asks for another right after it)."""
        self._run("UPDATE job_schedule SET next_run = ? WHERE job_key = ? AND next_run <> 0", (when, key))

    def trigger(self, key: str) -> None:
        """Due now (the next tick of any worker claims it)."""
        self._run("UPDATE job_schedule SET next_run = 0 WHERE job_key = ?", (key,))

    def next_run(self, key: str) -> int | None:
        rows = self._query("SELECT next_run FROM job_schedule WHERE job_key = ?", (key,))
        return int(str(rows[0][0])) if rows else None

    def set_running(self, key: str, executor: str | None) -> None:
        """Which worker runs the job's cycle now (None: none)."""
        self._run("UPDATE job_schedule SET running_on = ? WHERE job_key = ?", (executor, key))

    def running_on(self, key: str) -> str | None:
        rows = self._query("SELECT running_on FROM job_schedule WHERE job_key = ?", (key,))
        return str(rows[0][0]) if rows and rows[0][0] is not None else None
