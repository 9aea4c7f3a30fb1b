"""Reading the rows a batch of updates will write, in parallel, just before the write (SQLite files only).

An ``UPDATE ... WHERE anchor = ?`` executemany finds each row through the anchor's index and then the table,
one page at a time: at 1M rows, 1,000 updates read about 1,500 pages nobody has cached, one after another.
A disk answers several reads at once almost as fast as one, so the rows are first read in up to
``WORKERS`` key ranges on connections of their own (threads; SQLite reads outside the GIL), and the write
then finds their pages in the operating system's cache. Only for a SQLite file, whose only cache between
connections is the operating system's, and only a large one (``LARGE_FILE``): a small file's pages are
most likely cached, and at 10k rows the read-ahead cost 13 ms of a 190 ms cycle and saved nothing. A server
database keeps its own cache and is not read twice. The read changes nothing: the write still finds, and
counts, the rows itself.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import sqlalchemy as sa
from sqlalchemy import pool

from ._tables import TableSpec

WORKERS = 4
FROM = 200
"""Rows below which reading ahead costs more than it saves."""
LARGE_FILE = 256 * 1024 * 1024
"""The size from which a SQLite file's rows are read ahead."""

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
    if count < FROM or engine.dialect.name != "sqlite" or not isinstance(engine.pool, pool.QueuePool):
        return False
    try:
        return os.stat(str(engine.url.database)).st_size >= LARGE_FILE
    except OSError:
        return False  # the write reports what is wrong with the file


def warm(engine: sa.Engine, spec: TableSpec, keys: Sequence[Any]) -> None:
    """Read the rows of these anchor values in parallel key ranges (their pages, not their values). A
    failure is left to the write that follows, which meets the same database."""
    others = [c for c in spec.table.columns if c.name != spec.anchor.name]
    if not others or not worth_warming(engine, len(keys)):
        return
    # count(column) reads the row from the table (a NULL is not counted), so both the anchor's index and
    # the table pages are read, and one number comes back.
    probe = sa.func.count(others[0])
    ordered = sorted(keys)
    size = -(-len(ordered) // WORKERS)
    ranges = [ordered[start : start + size] for start in range(0, len(ordered), size)]
    futures = [_executor().submit(_read, engine, probe, spec, part) for part in ranges]
    for future in futures:
        future.exception()  # waits; the write reports any database error


def _read(engine: sa.Engine, probe: sa.ColumnElement[Any], spec: TableSpec, keys: Sequence[Any]) -> None:
    with engine.connect() as conn:
        for start in range(0, len(keys), 500):
            conn.execute(sa.select(probe).where(spec.anchor.in_(keys[start : start + 500]))).scalar()
