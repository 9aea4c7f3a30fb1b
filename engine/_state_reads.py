"""Reading state rows by id (``StateStore._by_ids``): a page's links, reference targets and data-store keys.

A page of 1,000 ids at 1M users reads two or three random pages per id, and whether those pages are in the
operating system's cache decides the cost: about 2 us a page when they are, 50 us when they are not (this
machine's figures). Uncached, a disk answers several reads at once almost as fast as one (four threads read
2,000 random pages 2.5 times faster than one), so the ids are sorted, cut into up to ``WORKERS`` key ranges,
and each range is read on a connection of its own in a small thread pool: the database waits for the disk
outside the GIL. Cached, the threads only add their cost (at 1M users, a cycle of 1,000 changes took 0.21 s
with them and 0.19 s without). Which case holds is measured, not guessed: the first ``PROBE`` ids are read on
the calling thread, and only when they took longer than ``CACHED_PER_ID`` each are the rest read in
parallel. Everything is read on the calling thread for short lists; a small file (``LARGE_FILE``: its pages
are most likely cached); in-memory SQLite (one connection for everything); and server databases, which
keep their own cache (not measured). Reads only: the rows are those committed when each range is read, as
with one query per chunk on one connection (the engine is the only writer of its job's state, and it never
reads ids in the middle of a write).
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import Executor, ThreadPoolExecutor
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine

from ._state_sql import Sql, chunks, marks

__all__ = ["IdReader"]

WORKERS = 4
PARALLEL_FROM = 200
"""Ids below which one connection reads them all (threads cost more than they save)."""
LARGE_FILE = 256 * 1024 * 1024
"""The size from which a SQLite state file may be read in parallel (100k users: about 300 MB)."""
PROBE = 36
"""Ids read on the calling thread first, to tell cached pages from uncached ones: the first ``SETTLE`` (the
connection, and the upper pages of the b-trees) untimed, the others timed."""
SETTLE = 4
CACHED_PER_ID = 40e-6
"""Seconds per probed id below which the pages are taken to be cached (measured at 1M users: 10-25 us an id
cached, 100-150 us uncached)."""


class IdReader:
    """``select ... AND column IN (ids)`` over one engine, in parallel key ranges when worth it."""

    def __init__(self, engine: Engine, sql: Sql, readers: Engine | None) -> None:
        """``engine`` reads on the calling thread; ``readers``, the connections of the reading threads to
        the same SQLite file (``_state_open.make_read_engine``), or None: everything on the calling thread."""
        self.engine, self.sql, self.readers = engine, sql, readers
        database = readers.url.database if readers is not None else None
        self.file = Path(database) if database else None
        self._pool: Executor | None = None
        self._lock = threading.Lock()  # a daemon's API threads read too

    def parallel(self, count: int) -> bool:
        """Whether ``count`` ids are read in parallel ranges (the file's size is asked each time: a state
        grows from empty during an initial cycle)."""
        if self.file is None or count < PARALLEL_FROM:
            return False
        try:
            return os.stat(self.file).st_size >= LARGE_FILE
        except OSError:
            return False  # the read on the calling thread reports what is wrong with the file

    def close(self) -> None:
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True)
        if self.readers is not None:
            self.readers.dispose()

    def _executor(self) -> Executor:
        with self._lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="state-read")
            return self._pool

    def rows(self, select: str, ids: Sequence[str], params: Sequence[Any], column: str) -> Iterator[Any]:
        """The rows of ``select`` (ending in its conditions) ``AND column IN (ids)``; ``ids`` distinct."""
        if not self.parallel(len(ids)) or self.readers is None:
            yield from self._read(self.engine, select, ids, params, column)
            return
        ordered = sorted(ids)  # key ranges: each thread walks its own part of the index
        probe, rest = ordered[:PROBE], ordered[PROBE:]
        first, cached = self._probe(select, probe, params, column)
        yield from first
        if cached:
            yield from self._read(self.engine, select, rest, params, column)
            return
        for part in self._parallel(select, rest, params, column):
            yield from part

    def warm(self, select: str, ids: Sequence[str], params: Sequence[Any], column: str) -> None:
        """Read ``rows(...)`` for their pages alone, when the list is large enough to be read in parallel and
        its pages are not cached already (then the caller's own read finds them without help)."""
        if not self.parallel(len(ids)) or self.readers is None:
            return
        ordered = sorted(ids)
        _, cached = self._probe(select, ordered[:PROBE], params, column)
        if not cached:
            for _ in self._parallel(select, ordered[PROBE:], params, column):
                pass

    def _probe(
        self, select: str, ids: Sequence[str], params: Sequence[Any], column: str
    ) -> tuple[list[Any], bool]:
        """The rows of the first ids, read on the calling thread, and whether their pages were cached."""
        rows = list(self._read(self.engine, select, ids[:SETTLE], params, column))
        timed = ids[SETTLE:]
        started = time.perf_counter()
        rows.extend(self._read(self.engine, select, timed, params, column))
        return rows, time.perf_counter() - started < CACHED_PER_ID * len(timed)

    def _parallel(
        self, select: str, ids: Sequence[str], params: Sequence[Any], column: str
    ) -> Iterator[list[Any]]:
        """The rows of these sorted ids, read in up to ``WORKERS`` key ranges at once."""
        assert self.readers is not None
        if not ids:
            return
        size = -(-len(ids) // WORKERS)
        ranges = [ids[start : start + size] for start in range(0, len(ids), size)]
        pool = self._executor()
        readers = self.readers
        futures = [pool.submit(self._read_all, readers, select, part, params, column) for part in ranges]
        for future in futures:
            yield future.result()

    def _read_all(
        self, engine: Engine, select: str, ids: Sequence[str], params: Sequence[Any], column: str
    ) -> list[Any]:
        return list(self._read(engine, select, ids, params, column))

    def _read(
        self, engine: Engine, select: str, ids: Sequence[str], params: Sequence[Any], column: str
    ) -> Iterator[Any]:
        with engine.connect() as conn:
            for chunk in chunks(ids):
                sql = f"{select} AND {column} IN ({marks(len(chunk))})"
                yield from self.sql.query(conn, sql, (*params, *chunk))
