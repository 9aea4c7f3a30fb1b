"""Reading ahead the rows a batch of blind updates will write (the ``readAhead`` setting).

An ``UPDATE ... WHERE anchor = ?`` executemany finds each row through the anchor's index and then the table,
one page at a time, one after another. A disk answers several reads at once almost as fast as one, so the
rows can first be read in ``READ_AHEAD_THREADS`` key ranges on connections of their own (threads; the
database driver waits outside the GIL), and the write then finds their pages in a cache. The read changes
nothing: the write still finds, and counts, the rows itself, and a failure of the read is left to the
write that follows, which meets the same database.

When pages are cached already, the threads only add their cost, so whether to read ahead is decided once
per connector, the first time it writes (``decide``), from the setting and facts about the database, never
from timings:

* ``off``: never.
* ``on``: whenever the engine's pool gives other threads connections of their own (not in-memory SQLite).
* ``auto`` (the default): only for a SQLite file of ``AUTO_FILE_SIZE`` or more when first written to. A
  SQLite file's only cache shared between connections is the operating system's, which a small file most
  likely fits in; a server database keeps its own cache, so it is not read twice.

In every mode a batch of fewer than ``READ_AHEAD_MIN_ROWS`` updates is not read ahead. The constants below
are the read-ahead's only tuning; they are round guesses, not measurements of any one host: set
``readAhead`` where they are wrong for a database.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Literal

import sqlalchemy as sa

from .._errors import ConnectorConfigError
from ._lookups import chunks
from ._tables import TableSpec, threads_share
from ._values import KIND

READ_AHEAD_THREADS = 4
"""Key ranges read at once, each on a connection of its own: enough reads in flight for a disk to serve them
together, few enough to leave the database's connections and the machine's cores to the rest."""
READ_AHEAD_MIN_ROWS = 200
"""Updates in a batch below which nothing is read ahead: so few rows are found about as fast one after
another as the threads could hand them over."""
AUTO_FILE_SIZE = 256 * 1024 * 1024
"""With ``readAhead: auto``, the size (bytes) from which a SQLite file's rows are read ahead: a smaller file
is taken to fit in the operating system's cache."""

Mode = Literal["auto", "on", "off"]
MODES: tuple[Mode, ...] = ("auto", "on", "off")
_YAML_BOOLEANS: dict[bool, Mode] = {True: "on", False: "off"}  # YAML 1.1 reads a bare on / off as a boolean

_lock = threading.Lock()
_pool: ThreadPoolExecutor | None = None


def read_ahead_mode(settings: Mapping[str, Any]) -> Mode:
    """The ``readAhead`` setting: ``auto`` (the default), ``on`` or ``off``."""
    value = settings.get("readAhead", "auto")
    if isinstance(value, bool):
        return _YAML_BOOLEANS[value]
    for mode in MODES:
        if value == mode:
            return mode
    raise ConnectorConfigError(
        f"must be one of {', '.join(MODES)}, got {value!r}", setting="readAhead", connector=KIND
    )


def decide(mode: Mode, engine: sa.Engine) -> bool:
    """Whether this connector reads rows ahead of its blind updates (see the module's docstring)."""
    if mode == "off" or not threads_share(engine):
        return False
    if mode == "on":
        return True
    if engine.dialect.name != "sqlite" or not engine.url.database:
        return False
    try:
        return os.stat(engine.url.database).st_size >= AUTO_FILE_SIZE
    except OSError:
        return False  # the write reports what is wrong with the file


def read_ahead(engine: sa.Engine, spec: TableSpec, keys: Sequence[Any]) -> None:
    """Read the rows of these anchor values (their pages, not their values) in ``READ_AHEAD_THREADS`` key
    ranges, each on a connection of its own; return when all are read."""
    others = [c for c in spec.table.columns if c.name != spec.anchor.name]
    if not others or len(keys) < READ_AHEAD_MIN_ROWS:
        return
    # count(column) reads the row from the table (a NULL is not counted), so both the anchor's index and
    # the table pages are read, and one number comes back.
    probe = sa.func.count(others[0])
    ordered = sorted(keys)
    size = -(-len(ordered) // READ_AHEAD_THREADS)
    ranges = [ordered[start : start + size] for start in range(0, len(ordered), size)]
    futures = [_executor().submit(_read, engine, probe, spec, part) for part in ranges]
    for future in futures:
        future.exception()  # waits; the write reports any database error


def _executor() -> ThreadPoolExecutor:
    global _pool
    with _lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=READ_AHEAD_THREADS, thread_name_prefix="sql-warm")
        return _pool


def _read(engine: sa.Engine, probe: sa.ColumnElement[Any], spec: TableSpec, keys: Sequence[Any]) -> None:
    with engine.connect() as conn:
        for chunk in chunks(keys):
            conn.execute(sa.select(probe).where(spec.anchor.in_(chunk))).scalar()
