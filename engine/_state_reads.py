"""Reading state rows by id (``StateStore._by_ids``): a page's links, reference targets and data-store keys.

A page of 1,000 ids at 1M users reads about three random pages per id that nobody has cached yet, and a
disk answers several reads at once almost as fast as one (measured here: four threads read 2,000 random
pages 2.5 times faster than one). So in a large SQLite file (``LARGE_FILE``) a large id list is sorted, cut
into up to ``WORKERS`` key ranges, and each range is read on a connection of its own in a small thread
pool: the database waits for the disk outside the GIL. Everything else is read on the calling thread: short
lists; a small file, whose pages are most likely cached (at 10k users the threads cost 13 ms of a 190 ms
cycle and saved nothing); in-memory SQLite (one connection for everything); and server databases, which
keep their own cache (not measured). Reads only: the rows are those committed when each range is read, as
with one query per chunk on one connection (the engine is the only writer of its job's state, and it never
reads ids in the middle of a write).
"""

from __future__ import annotations

import os
import threading
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
"""The size from which a SQLite state file is read in parallel (100k users: about 300 MB)."""


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
        size = -(-len(ordered) // WORKERS)
        ranges = [ordered[start : start + size] for start in range(0, len(ordered), size)]
        pool = self._executor()
        readers = self.readers
        futures = [pool.submit(self._read_all, readers, select, part, params, column) for part in ranges]
        for future in futures:
            yield from future.result()

    def warm(self, select: str, ids: Sequence[str], params: Sequence[Any], column: str) -> None:
        """Read ``rows(...)`` for their pages alone, when the list is large enough to be read in parallel."""
        if self.parallel(len(ids)):
            for _ in self.rows(select, ids, params, column):
                pass

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
