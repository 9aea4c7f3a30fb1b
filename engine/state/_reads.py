"""The state store's read strategies, in one place: how rows are read by a list of ids (a page's links,
reference targets and data-store keys: ``StateStore._by_ids``), and whether a commit reads ahead the
data-store keys it compares. One strategy is chosen when the store opens (``choose_reads``) and kept for
its life; nothing is measured or re-decided per call.

Why parallel reads exist: a page of ids in a large directory reads two or three random b-tree pages per
id, and whether those pages are in the operating system's cache decides what that costs. When they are
not, a disk answers several reads at once almost as fast as one, so the ids are sorted, cut into up to
``WORKERS`` key ranges, and each range is read on a connection of its own in a small thread pool (SQLite
waits for the disk outside the GIL). When they are cached, the threads only add their own cost. So:

* ``Reads`` reads everything on the calling thread and reads nothing ahead;
* ``ParallelReads`` reads lists of at least ``PARALLEL_FROM`` ids in key ranges, and before a commit reads
  the data-store keys it will compare the same way (``read_ahead``), so that the transaction, which still
  reads the stored values itself on its one connection, finds their pages cached instead of reading them
  one by one.

The setting (``state: {parallelReads: ...}`` in a job file) chooses between them:

* ``off``: serial;
* ``on``: parallel for a SQLite file; serial for in-memory SQLite (one connection for everything) and for
  server databases (they keep their own cache, and a query's latency is the network's, not a disk's);
* ``auto`` (the default): as ``on`` when the SQLite file is at least ``LARGE_FILE`` when the store opens
  (a smaller one most likely stays cached), serial otherwise. A state that grows past it while open (an
  initial cycle) is read in parallel from the next time it is opened.

Parallel reads see the rows committed when each range is read, as one query per chunk on one connection
would: the engine is the only writer of its job's state, and never reads ids in the middle of a write.
Measurements of both strategies belong to ``benchmarks/`` and the README, not here.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterator, Sequence
from concurrent.futures import Executor, ThreadPoolExecutor
from typing import Any, Literal, get_args

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.pool import StaticPool

from ._sql import Sql, chunks, marks

__all__ = [
    "LARGE_FILE",
    "PARALLEL_FROM",
    "PARALLEL_READS",
    "WORKERS",
    "ParallelReads",
    "ParallelReadsSetting",
    "Reads",
    "choose_reads",
]

ParallelReadsSetting = Literal["auto", "on", "off"]
PARALLEL_READS: tuple[str, ...] = get_args(ParallelReadsSetting)
"""The values of the ``parallel_reads`` setting (job file: ``state.parallelReads``)."""

WORKERS = 4
"""Key ranges (threads, and reading connections) a list of ids is cut into."""
PARALLEL_FROM = 200
"""Ids below which one connection reads them all: for a shorter list the threads cost more than they save."""
LARGE_FILE = 256 * 1024 * 1024
"""Bytes from which ``auto`` reads a SQLite state file in parallel (a smaller file most likely stays in the
operating system's cache). About the state of 100k users."""
READER_CACHE_KIB = 256
"""Page cache of each reading connection: what they read only needs to reach the operating system's cache,
where the writing connection finds it, so each keeps the upper pages of the b-trees and little more (SQLite's
default of 2 MiB per connection would only add memory)."""

_log = logging.getLogger("idsync.state")


class Reads:
    """A read strategy; this one (``off``, and what ``on`` and ``auto`` fall back to) reads every list of ids
    on the calling thread, through the store's engine, and reads nothing ahead."""

    def __init__(self, engine: Engine, sql: Sql) -> None:
        self.engine, self.sql = engine, sql

    def rows(self, select: str, ids: Sequence[str], params: Sequence[Any], column: str) -> Iterator[Any]:
        """The rows of ``select`` (ending in its conditions) ``AND column IN (ids)``; ``ids`` distinct."""
        return _read(self.engine, self.sql, select, ids, params, column)

    def read_ahead(self, select: str, ids: Sequence[str], params: Sequence[Any], column: str) -> None:
        """Nothing: the caller's own read is as fast."""

    def close(self) -> None:
        pass


class ParallelReads(Reads):
    """Lists of at least ``PARALLEL_FROM`` ids read in up to ``WORKERS`` key ranges at once, each on a
    connection of its own to the same SQLite file (a pool apart from the writing connection, whose page
    cache then keeps what the writes touch); shorter lists on the calling thread."""

    def __init__(self, engine: Engine, sql: Sql) -> None:
        super().__init__(engine, sql)
        self.readers = _reader_engine(engine)
        self._pool: Executor | None = None
        self._lock = threading.Lock()  # a daemon's API threads read too

    def rows(self, select: str, ids: Sequence[str], params: Sequence[Any], column: str) -> Iterator[Any]:
        if len(ids) < PARALLEL_FROM:
            return super().rows(select, ids, params, column)
        return (row for part in self._ranges(select, ids, params, column) for row in part)

    def read_ahead(self, select: str, ids: Sequence[str], params: Sequence[Any], column: str) -> None:
        """Read these rows for their pages alone (the caller reads them again, on its own connection)."""
        if len(ids) >= PARALLEL_FROM:
            for _ in self._ranges(select, ids, params, column):
                pass

    def close(self) -> None:
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True)
        self.readers.dispose()

    def _ranges(
        self, select: str, ids: Sequence[str], params: Sequence[Any], column: str
    ) -> Iterator[list[Any]]:
        """The rows of these ids, sorted and cut into key ranges (each thread walks its own part of the
        index), read at once; yielded a range at a time, in key order."""
        ordered = sorted(ids)
        size = -(-len(ordered) // WORKERS)
        pool = self._executor()
        parts = [ordered[start : start + size] for start in range(0, len(ordered), size)]
        futures = [
            pool.submit(_read_all, self.readers, self.sql, select, part, params, column) for part in parts
        ]
        for future in futures:
            yield future.result()

    def _executor(self) -> Executor:
        with self._lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="state-read")
            return self._pool


def choose_reads(engine: Engine, sql: Sql, setting: str) -> Reads:
    """The read strategy of a store opened on ``engine`` (see the module's docstring), chosen once."""
    if setting not in PARALLEL_READS:
        raise ValueError(f"parallel_reads must be one of {', '.join(PARALLEL_READS)}, not {setting!r}")
    file = _sqlite_file(engine)
    why = f"parallelReads={setting}"
    if setting == "off":
        parallel = False
    elif file is None:
        parallel, why = False, why + ", not a SQLite file"
    elif setting == "on":
        parallel = True
    else:
        try:
            size = os.stat(file).st_size
        except OSError:
            size = 0  # the store's own reads report what is wrong with the file
        parallel = size >= LARGE_FILE
        why += f", {size} bytes at open, {'at least' if parallel else 'under'} LARGE_FILE ({LARGE_FILE})"
    _log.debug(
        "state %s: ids read %s (%s)",
        engine.url.render_as_string(hide_password=True),
        f"in up to {WORKERS} parallel key ranges, with read-ahead" if parallel else "on the calling thread",
        why,
    )
    return ParallelReads(engine, sql) if parallel else Reads(engine, sql)


def _sqlite_file(engine: Engine) -> str | None:
    """The path of the SQLite file ``engine`` opens; None for in-memory SQLite and other databases."""
    if engine.dialect.name != "sqlite" or isinstance(engine.pool, StaticPool):
        return None
    database = engine.url.database
    return database if database and database != ":memory:" and not database.startswith("file:") else None


def _reader_engine(engine: Engine) -> Engine:
    readers = create_engine(
        engine.url, connect_args={"check_same_thread": False, "timeout": 30}, pool_size=WORKERS
    )

    @event.listens_for(readers, "connect")
    def _small_cache(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.execute(f"PRAGMA cache_size=-{READER_CACHE_KIB}")

    return readers


def _read_all(
    engine: Engine, sql: Sql, select: str, ids: Sequence[str], params: Sequence[Any], column: str
) -> list[Any]:
    return list(_read(engine, sql, select, ids, params, column))


def _read(
    engine: Engine, sql: Sql, select: str, ids: Sequence[str], params: Sequence[Any], column: str
) -> Iterator[Any]:
    with engine.connect() as conn:
        for chunk in chunks(ids):
            yield from sql.query(conn, f"{select} AND {column} IN ({marks(len(chunk))})", (*params, *chunk))
