"""Reading state rows by id (``StateStore._by_ids``): a page's links, reference targets and data-store keys.

A page of 1,000 ids at 1M users reads about three random pages per id that nobody has cached yet, and a
disk answers several reads at once almost as fast as one (measured here: four threads read 2,000 random
pages 2.5 times faster than one). So a large id list is sorted, cut into up to ``WORKERS`` key ranges, and
each range is read on a connection of its own in a small thread pool: the database waits for the disk
outside the GIL. Small lists, and databases whose connections cannot be shared between threads (in-memory
SQLite: one connection for everything), are read on the calling thread. Reads only: the rows are those
committed when each range is read, as with one query per chunk on one connection (the engine is the only
writer of its job's state, and it never reads ids in the middle of a write).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from concurrent.futures import Executor, ThreadPoolExecutor
from typing import Any

from sqlalchemy.engine import Engine
from sqlalchemy.pool import SingletonThreadPool, StaticPool

from ._state_sql import Sql, chunks, marks

__all__ = ["IdReader"]

WORKERS = 4
PARALLEL_FROM = 200
"""Ids below which one connection reads them all (threads cost more than they save)."""


class IdReader:
    """``select ... AND column IN (ids)`` over one engine, in parallel key ranges when worth it."""

    def __init__(self, engine: Engine, sql: Sql) -> None:
        self.engine, self.sql = engine, sql
        self.shared = not isinstance(engine.pool, StaticPool | SingletonThreadPool)
        self._pool: Executor | None = None

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None

    def rows(self, select: str, ids: Sequence[str], params: Sequence[Any], column: str) -> Iterator[Any]:
        """The rows of ``select`` (ending in its conditions) ``AND column IN (ids)``; ``ids`` distinct."""
        if len(ids) < PARALLEL_FROM or not self.shared:
            yield from self._read(select, ids, params, column)
            return
        ordered = sorted(ids)  # key ranges: each thread walks its own part of the index
        size = -(-len(ordered) // WORKERS)
        ranges = [ordered[start : start + size] for start in range(0, len(ordered), size)]
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="state-read")
        futures = [self._pool.submit(self._read_all, select, part, params, column) for part in ranges]
        for future in futures:
            yield from future.result()

    def warm(self, select: str, ids: Sequence[str], params: Sequence[Any], column: str) -> None:
        """Read ``rows(...)`` for their pages alone, when the list is large enough to be read in parallel."""
        if len(ids) >= PARALLEL_FROM and self.shared:
            for _ in self.rows(select, ids, params, column):
                pass

    def _read_all(self, select: str, ids: Sequence[str], params: Sequence[Any], column: str) -> list[Any]:
        return list(self._read(select, ids, params, column))

    def _read(self, select: str, ids: Sequence[str], params: Sequence[Any], column: str) -> Iterator[Any]:
        with self.engine.connect() as conn:
            for chunk in chunks(ids):
                sql = f"{select} AND {column} IN ({marks(len(chunk))})"
                yield from self.sql.query(conn, sql, (*params, *chunk))
