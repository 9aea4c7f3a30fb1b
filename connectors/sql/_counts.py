"""Counting a table's rows: for ``Connector.count`` (a progress total) and for the hard-delete check of an
incremental read (``_reads._nothing_gone``), where a large table is counted in a thread beside the read.

Counting a million rows reads every page of the table's narrowest index (about 8,600 pages at 1M users:
up to 0.4 s when they are not cached). Started in a thread once the read's first page is in, the count runs
while the engine plans, exports and commits the pages (the database works outside the GIL) instead of
after them. A smaller table (``BACKGROUND_COUNT``) is counted when asked for: a few milliseconds, about
what the thread and its connection cost.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import sqlalchemy as sa

from ._tables import TableSpec, threads_share
from ._values import sql_errors

Count = Callable[[], int | None]

BACKGROUND_COUNT = 100_000
"""Stored ids from which the table is counted in a thread (at 10k rows the thread cost 9 ms of a 190 ms
cycle and saved nothing)."""


def count_rows(engine: sa.Engine, spec: TableSpec) -> int | None:
    """The rows a full read delivers, counted by the database; None with a deleted flag column (how each
    database spells the flag's values varies: counting them would only be a guess)."""
    if spec.deleted is not None:
        return None
    with sql_errors(f"counting rows of table {spec.table.name!r}"), engine.connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(spec.table)).scalar_one())


def count_for(engine: sa.Engine, spec: TableSpec, stored: int) -> Count:
    """The table's row count as a function that waits for it (and raises what counting raised): started
    now in a thread when the data store holds ``BACKGROUND_COUNT`` ids or more, else counted when called.
    A pool whose connections cannot be shared between threads (in-memory SQLite: one connection, or one
    per thread, each a database of its own: ``threads_share``) is always counted when called."""
    if stored < BACKGROUND_COUNT or not threads_share(engine):
        return lambda: count_rows(engine, spec)
    outcome: list[int | Exception | None] = []

    def count() -> None:
        try:
            outcome.append(count_rows(engine, spec))
        except Exception as exc:  # handed to the reading thread, which raises it
            outcome.append(exc)

    thread = threading.Thread(target=count, name=f"count {spec.table.name}", daemon=True)
    thread.start()

    def result() -> int | None:
        thread.join()
        [value] = outcome
        if isinstance(value, Exception):
            raise value
        return value

    return result
