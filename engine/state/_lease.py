"""One writer per job: a lease with a fencing epoch, in the state database (table ``job_leases``).

Every process that writes a job's state or its target (a cycle, a restart, provisioning on demand...) first
takes the job's lease (``acquire``): a row naming the holder, an *epoch* and when the lease expires. Taking
a free or expired lease increments the epoch, so each holding is numbered and a later holder always has a
larger number. While it is held:

* every state transaction of the holder starts by checking and extending it (``Lease.fence``, an UPDATE of
  the lease row matching the holder *and* its epoch, in the same transaction): when another process has
  taken the lease over, the UPDATE matches nothing and the transaction is rolled back with ``Fenced``. On
  PostgreSQL the UPDATE also locks the row, so a takeover waits for the holder's transaction to end (and
  then finds a lease it cannot take before it expires); a holder frozen inside that transaction has it ended
  by the server once idle for ``IDSYNC_STATE_IDLE_TRANSACTION_SECONDS`` (``_open``); frozen in the middle of
  a statement (where that timeout does not apply), its session is ended by a taker that waited
  ``_LOCK_WAIT_MS`` for the row once the lease as committed has expired (``_break_frozen``);
* before every target batch the holder checks it (``Lease.check``): when it has not been confirmed within
  half its time to live (measured on the monotonic clock, which keeps counting while a process is stopped
  with SIGSTOP) it is renewed in the database first, which raises ``Fenced`` when it was taken over;
* a heartbeat thread renews it every quarter of its time to live, so a long export or a slow directory does
  not let it expire; a heartbeat that finds it taken over marks it lost (the next check raises ``Fenced``).

``release`` ends the holding (the row stays, with its epoch, expired). A process killed with SIGKILL leaves
its lease behind: a process on the same machine (same kernel boot, same PID namespace) that finds the holder's
process gone (no such PID, or a PID reused by a process started at another time) takes it over at once;
elsewhere it waits for the lease to expire (its time to live at most). Expiry times are wall-clock
milliseconds compared by each process with its own clock: hosts sharing a state database must keep their
clocks in step (NTP) within a fraction of the time to live.

An in-memory SQLite state (one process, one connection) has no heartbeat thread: nothing else can see it.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from ._sql import Sql
from ._types import Fenced, JobBusy, StateError

__all__ = ["DEFAULT_LEASE_SECONDS", "Lease", "acquire", "describe_holder", "set_holder_label"]

DEFAULT_LEASE_SECONDS = 60.0
_log = logging.getLogger("idsync.state")
_RENEW = "UPDATE job_leases SET expires = ? WHERE job_id = ? AND holder = ? AND epoch = ?"


def _now_ms() -> int:
    return int(time.time() * 1000)


class Lease:
    """A job's lease as held by this process (made by ``acquire``)."""

    def __init__(
        self,
        engine: Engine,
        sql: Sql,
        job_id: str,
        holder: str,
        epoch: int,
        ttl: float,
        started: float,
        *,
        heartbeat: bool,
        on_release: Callable[[Lease], None] | None = None,
    ) -> None:
        self.engine, self.sql = engine, sql
        self.job_id, self.holder, self.epoch, self.ttl = job_id, holder, epoch, ttl
        self.valid_until = started + ttl / 2
        self.lost = False
        self._on_release = on_release
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        if heartbeat:
            self._thread = threading.Thread(target=self._beat, name=f"lease-{job_id}", daemon=True)
            self._thread.start()

    def _fenced(self) -> Fenced:
        self.lost = True
        return Fenced(
            f"job {self.job_id!r}: another process took over this process's lease (epoch {self.epoch}); "
            "this process writes nothing more for the job"
        )

    def fence(self, conn: Connection) -> float:
        """Check and extend the lease inside ``conn``'s transaction (its first statement); raises ``Fenced``
        when it was taken over. Returns the monotonic time to pass to ``confirmed`` once committed."""
        if self.lost:
            raise self._fenced()
        started = time.monotonic()
        params = (_now_ms() + int(self.ttl * 1000), self.job_id, self.holder, self.epoch)
        if self.sql.run(conn, _RENEW, params).rowcount != 1:
            raise self._fenced()
        return started

    def confirmed(self, started: float) -> None:
        """The extension made at ``started`` was committed."""
        self.valid_until = max(self.valid_until, started + self.ttl / 2)

    def renew(self) -> None:
        """Extend the lease now, in a transaction of its own (``Fenced`` when it was taken over)."""
        with self.engine.begin() as conn:
            started = self.fence(conn)
        self.confirmed(started)

    def check(self) -> None:
        """Before a target batch: ``Fenced`` unless the lease is known to be still this process's."""
        if self.lost:
            raise self._fenced()
        if time.monotonic() >= self.valid_until:
            try:
                self.renew()
            except SQLAlchemyError as exc:
                raise StateError(f"cannot renew the lease of job {self.job_id!r}: {exc}") from exc

    def _beat(self) -> None:
        while not self._stop.wait(self.ttl / 4):
            try:
                self.renew()
            except Fenced:
                _log.error("job %s: the lease was taken over by another process", self.job_id)
                return
            except SQLAlchemyError as exc:  # a busy or unreachable database: the checks try again
                _log.warning("job %s: cannot renew the lease now: %s", self.job_id, exc)

    def release(self) -> None:
        """End the holding (nothing when it was taken over); stops the heartbeat."""
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join()
        if self._on_release is not None:
            self._on_release(self)
        if self.lost:
            return
        try:
            with self.engine.begin() as conn:
                self.sql.run(conn, _RENEW, (0, self.job_id, self.holder, self.epoch))
        except SQLAlchemyError as exc:  # it expires by itself
            _log.warning("job %s: cannot release the lease: %s", self.job_id, exc)


def _process_start(pid: int) -> str | None:
    """When process ``pid`` started (clock ticks since boot, Linux); None when there is no such process."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as stat:
            return stat.read().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return None


def _machine() -> str | None:
    """This kernel boot and PID namespace (Linux), which make a PID meaningful; None elsewhere."""
    try:
        with open("/proc/sys/kernel/random/boot_id", encoding="ascii") as boot:
            boot_id = boot.read().strip()[:8]
        return f"{boot_id}.{os.stat('/proc/self/ns/pid').st_ino}"
    except OSError:
        return None


_label = ""


def set_holder_label(label: str) -> None:
    """Name this process in the leases it takes from now on (a fleet worker: its executor id), so that
    ``idsync jobs list`` can say which worker holds a job."""
    global _label
    _label = "".join(ch for ch in label if ch not in ":@ ")[:60]


def describe_holder(holder: str) -> str:
    """A lease holder as people read it: ``worker W (process P on H)`` or ``process P on H``."""
    parts = holder.split(":")
    label = parts[2].partition("@")[2] if len(parts) >= 3 else ""
    return f"worker {label} ({_who(holder)})" if label else _who(holder)


def holder_name() -> str:
    """Who holds a lease: host, process id, a nonce (several holdings in one process; with the holder's
    label, ``set_holder_label``), and where that PID is meaningful and when its process started (to see, on
    the same machine, that a holder has died)."""
    nonce = uuid.uuid4().hex[:8] + (f"@{_label}" if _label else "")
    name = f"{socket.gethostname()}:{os.getpid()}:{nonce}"
    machine, started = _machine(), _process_start(os.getpid())
    return f"{name}:{machine}.{started}" if machine and started else name


def holder_gone(holder: str) -> bool:
    """True only when ``holder`` ran on this machine (same host, boot and PID namespace) and its process no
    longer exists (a reused PID started at another time counts as gone). Unsure: False (wait for expiry)."""
    parts = holder.split(":")
    if len(parts) != 4 or parts[0] != socket.gethostname() or not parts[1].isdigit():
        return False
    machine, _, started = parts[3].rpartition(".")
    if not machine or machine != _machine():
        return False
    return _process_start(int(parts[1])) != started


def _take(engine: Engine, sql: Sql, job_id: str, holder: str, ttl: float) -> tuple[int | None, str, int]:
    """Take the lease if it is free, expired or its holder's process is gone: (epoch, holder, expires);
    epoch None when someone holds it."""
    now = _now_ms()
    expires = now + int(ttl * 1000)
    take = "UPDATE job_leases SET holder = ?, epoch = epoch + 1, expires = ? WHERE job_id = ?"
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":  # a row locked longer than this is a frozen holder's
            conn.exec_driver_sql(f"SET LOCAL lock_timeout = {_LOCK_WAIT_MS}")
        taken = sql.run(conn, f"{take} AND expires <= ?", (holder, expires, job_id, now)).rowcount == 1
        if not taken:
            held = "SELECT holder, epoch, expires FROM job_leases WHERE job_id = ?"
            rows = sql.query(conn, held, (job_id,))
            if rows:
                other, epoch = str(rows[0][0]), rows[0][1]
                if not holder_gone(other):
                    return None, other, int(rows[0][2])
                # Its process died (SIGKILL, a crash) on this machine: taken over now, if still its.
                params = (holder, expires, job_id, other, epoch)
                if sql.run(conn, f"{take} AND holder = ? AND epoch = ?", params).rowcount != 1:
                    return None, "another process", expires
                _log.warning("job %s: the lease of %s, whose process is gone, is taken over", job_id, other)
            else:
                insert = "INSERT INTO job_leases (job_id, holder, epoch, expires) VALUES (?, ?, ?, ?)"
                if sql.upserts:
                    insert += " ON CONFLICT (job_id) DO NOTHING"
                if sql.run(conn, insert, (job_id, holder, 1, expires)).rowcount != 1:
                    return None, "another process", expires
        epoch = sql.query(conn, "SELECT epoch FROM job_leases WHERE job_id = ?", (job_id,))[0][0]
    return int(epoch), holder, expires


_LOCK_WAIT_MS = 2000


def _lock_timeout(exc: SQLAlchemyError) -> bool:
    return getattr(getattr(exc, "orig", None), "sqlstate", None) == "55P03"  # lock_not_available


def _break_frozen(engine: Engine, sql: Sql, job_id: str) -> None:
    """PostgreSQL: the lease row stays locked by a transaction that does not end -- its holder was frozen
    (SIGSTOP, a paused VM) in the middle of a commit, where the server's idle timeout does not apply. Once the
    lease as committed has expired, that holder has lost it: its session is ended (its transaction rolls back,
    and a resumed holder finds its connection gone and the lease taken over)."""
    try:
        with engine.connect() as conn:
            rows = sql.query(conn, "SELECT expires, xmax::text FROM job_leases WHERE job_id = ?", (job_id,))
            if not rows or int(rows[0][0]) > _now_ms() or str(rows[0][1]) == "0":
                return
            ended = sql.query(
                conn,
                "SELECT pid, pg_terminate_backend(pid) FROM pg_stat_activity WHERE backend_xid::text = ?",
                (str(rows[0][1]),),
            )
            conn.rollback()
    except SQLAlchemyError as exc:  # not allowed to end it (another role): wait for it
        _log.warning("job %s: cannot end the session holding the expired lease: %s", job_id, exc)
        return
    for pid, _ in ended:
        _log.warning("job %s: ended session %s, stuck in a commit with the expired lease", job_id, pid)


def acquire(
    engine: Engine,
    sql: Sql,
    job_id: str,
    *,
    ttl: float = DEFAULT_LEASE_SECONDS,
    wait: float = 0.0,
    heartbeat: bool = True,
    on_release: Callable[[Lease], None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> Lease:
    """Take the job's lease, waiting up to ``wait`` seconds for its holder to release it or for it to
    expire; ``JobBusy`` when it stays held."""
    holder = holder_name()
    deadline = time.monotonic() + max(0.0, wait)
    while True:
        started = time.monotonic()
        try:
            epoch, other, expires = _take(engine, sql, job_id, holder, ttl)
        except IntegrityError:  # a concurrent first insert (a database without upserts): held
            epoch, other, expires = None, "another process", _now_ms()
        except SQLAlchemyError as exc:
            if not _lock_timeout(exc):
                raise StateError(f"cannot take the lease of job {job_id!r}: {exc}") from exc
            _break_frozen(engine, sql, job_id)
            epoch, other, expires = None, "another process", _now_ms()
        if epoch is not None:
            return Lease(
                engine, sql, job_id, holder, epoch, ttl, started, heartbeat=heartbeat, on_release=on_release
            )
        left = deadline - time.monotonic()
        if left <= 0:
            until = datetime.fromtimestamp(expires / 1000, UTC).strftime("%H:%M:%S UTC")
            raise JobBusy(
                f"job {job_id!r} is being run by another idsync process ({_who(other)}; its lease runs "
                f"until {until} unless renewed): nothing was done; try again when it has finished"
            )
        sleep(min(0.5, left))


def _who(holder: str) -> str:
    parts = holder.split(":")
    return f"process {parts[1]} on {parts[0]}" if len(parts) >= 3 else holder
