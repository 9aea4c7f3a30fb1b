"""Reading the rows a batch of updates will write, in parallel, just before the write (SQLite files only).

An ``UPDATE ... WHERE anchor = ?`` executemany finds each row through the anchor's index and then the table,
one page at a time: at 1M rows, 1,000 updates read about 1,500 pages nobody has cached, one after another.
A disk answers several reads at once almost as fast as one, so the rows are first read in up to
``WORKERS`` key ranges on connections of their own (threads; SQLite reads outside the GIL), and the write
then finds their pages in the operating system's cache. Only when those pages are not cached already: the
first ``PROBE`` rows are read on the connection that will write them, and only when they took longer than
``CACHED_PER_ROW`` each are the rest read ahead (cached, the threads only add their cost: at 1M users, a
cycle of 1,000 changes took 0.21 s with them and 0.19 s without). Only for a SQLite file, whose only
cache between connections is the operating system's, and only a large one (``LARGE_FILE``): a small file's
pages are most likely cached, and at 10k rows the read-ahead cost 13 ms of a 190 ms cycle and saved nothing.
A server database keeps its own cache and is not read twice. The read changes nothing: the write still
finds, and counts, the rows itself.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import sqlalchemy as sa

from ._tables import TableSpec, threads_share

WORKERS = 4
FROM = 200
"""Rows below which reading ahead costs more than it saves."""
LARGE_FILE = 256 * 1024 * 1024
"""The size from which a SQLite file's rows are read ahead."""
PROBE = 36
"""Rows read on the calling thread first, to tell cached pages from uncached ones: the first ``SETTLE`` (the
connection, the statement, the upper pages of the b-trees) untimed, the others timed."""
SETTLE = 4
CACHED_PER_ROW = 40e-6
"""Seconds per probed row below which the pages are taken to be cached (at 1M rows: 10-25 us a row
cached, 100-150 us uncached)."""

_lock = threading.Lock()
_pool: ThreadPoolExecutor | None = None


def _executor() -> ThreadPoolExecutor:
    global _pool
    with _lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="sql-warm")
        return _pool


def worth_warming(engine: sa.Engine, count: int) -> bool:
    """Enough rows, in a large SQLite file (its pool shares connections between threads)."""
    if count < FROM or engine.dialect.name != "sqlite" or not threads_share(engine):
        return False
    try:
        return os.stat(str(engine.url.database)).st_size >= LARGE_FILE
    except OSError:
        return False  # the write reports what is wrong with the file


def warm(conn: sa.Connection, spec: TableSpec, keys: Sequence[Any]) -> None:
    """Read the rows of these anchor values (their pages, not their values): the first ``PROBE`` on ``conn``,
    the connection that will write them, and the rest, when those were slow, in parallel key ranges on
    connections of their own. A failure is left to the write that follows, which meets the same database."""
    engine = conn.engine
    others = [c for c in spec.table.columns if c.name != spec.anchor.name]
    if not others or not worth_warming(engine, len(keys)):
        return
    # count(column) reads the row from the table (a NULL is not counted), so both the anchor's index and
    # the table pages are read, and one number comes back.
    probe = sa.func.count(others[0])
    ordered = sorted(keys)
    _read_on(conn, probe, spec, ordered[:SETTLE])
    started = time.perf_counter()
    _read_on(conn, probe, spec, ordered[SETTLE:PROBE])
    if time.perf_counter() - started < CACHED_PER_ROW * (PROBE - SETTLE):
        return  # cached: the write finds the pages without help
    rest = ordered[PROBE:]
    size = -(-len(rest) // WORKERS)
    ranges = [rest[start : start + size] for start in range(0, len(rest), size)]
    futures = [_executor().submit(_read, engine, probe, spec, part) for part in ranges]
    for future in futures:
        future.exception()  # waits; the write reports any database error


def _read(engine: sa.Engine, probe: sa.ColumnElement[Any], spec: TableSpec, keys: Sequence[Any]) -> None:
    with engine.connect() as conn:
        _read_on(conn, probe, spec, keys)


def _read_on(conn: sa.Connection, probe: sa.ColumnElement[Any], spec: TableSpec, keys: Sequence[Any]) -> None:
    for start in range(0, len(keys), 500):
        conn.execute(sa.select(probe).where(spec.anchor.in_(keys[start : start + 500]))).scalar()
