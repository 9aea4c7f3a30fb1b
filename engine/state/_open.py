"""Opening the state database: the engine (SQLite in WAL mode), the tables, and the schema version check
with the upgrade of an older database (``_schema``). How rows are read by id is chosen afterwards, once
(``_reads.choose_reads``).

A server database (PostgreSQL) is reached through ONE SQLAlchemy engine per URL per process, shared by every
job's store and counted (``open_engine`` / ``close_engine``): a worker running many jobs holds at most
``pool size + overflow`` state connections, whatever the number of jobs. The pool is sized by
``IDSYNC_STATE_POOL_SIZE`` (default 5) and ``IDSYNC_STATE_POOL_OVERFLOW`` (default 5). A SQLite file keeps an
engine per store (one process, a file that tests remove and make again). On PostgreSQL a transaction left
idle (its process frozen) is ended by the server after ``IDSYNC_STATE_IDLE_TRANSACTION_SECONDS``."""

from __future__ import annotations

import os
import threading
import time
from typing import Any

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError, OperationalError, ProgrammingError
from sqlalchemy.pool import StaticPool

from ._lease import DEFAULT_LEASE_SECONDS
from ._schema import SCHEMA_VERSION, get_table_definitions, upgrade
from ._sql import Sql
from ._types import StateError

__all__ = ["close_engine", "make_engine", "open_engine", "pool_settings", "prepare"]

POOL_SIZE_ENV = "IDSYNC_STATE_POOL_SIZE"
POOL_OVERFLOW_ENV = "IDSYNC_STATE_POOL_OVERFLOW"
IDLE_TRANSACTION_ENV = "IDSYNC_STATE_IDLE_TRANSACTION_SECONDS"
"""PostgreSQL: seconds a state transaction may sit idle before the server ends it (default 60)."""
_shared: dict[str, tuple[Engine, int]] = {}
_shared_lock = threading.Lock()


def _int_env(name: str, default: int, minimum: int) -> int:
    text = os.environ.get(name, "").strip()
    if not text:
        return default
    try:
        value = int(text)
    except ValueError:
        raise ValueError(f"{name}={text!r}: expected a whole number") from None
    if value < minimum:
        raise ValueError(f"{name}={value}: must be at least {minimum}")
    return value


def _forked() -> None:
    """In a forked child: fresh pools; the parent's connections stay the parent's (SQLAlchemy's advice)."""
    for engine, _ in _shared.values():
        engine.dispose(close=False)


os.register_at_fork(after_in_child=_forked)


def pool_settings() -> tuple[int, int]:
    """(pool size, overflow) of a server database's engine, from the environment."""
    return _int_env(POOL_SIZE_ENV, 5, 1), _int_env(POOL_OVERFLOW_ENV, 5, 0)


def open_engine(url: str) -> Engine:
    """The process's engine for ``url`` (made on first use; a server database's is shared and counted):
    hand it back with ``close_engine``."""
    if url.startswith("sqlite"):
        return make_engine(url)
    with _shared_lock:
        engine, users = _shared.get(url) or (make_engine(url), 0)
        _shared[url] = (engine, users + 1)
        return engine


def close_engine(url: str, engine: Engine) -> None:
    """One user of ``engine`` is done with it; the last one disposes of it (its connections close)."""
    with _shared_lock:
        held = _shared.get(url)
        if held is None or held[0] is not engine:
            engine.dispose()
            return
        if held[1] > 1:
            _shared[url] = (engine, held[1] - 1)
            return
        del _shared[url]
    engine.dispose()


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        memory = url in {"sqlite://", "sqlite:///:memory:"}
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 30},
            poolclass=StaticPool if memory else None,
        )

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            if not memory:
                cursor.execute("PRAGMA journal_mode=WAL")  # readers (the daemon's API) never block a cycle
                # Checkpoint every 64 MiB of WAL instead of 4: a page rewritten by several commits (a leaf
                # filling up during an initial cycle) reaches the database file once per checkpoint, and
                # each checkpoint's fsyncs are paid less often.
                cursor.execute("PRAGMA wal_autocheckpoint=16384")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        return engine
    size, overflow = pool_settings()
    connect_args: dict[str, Any] = {}
    if url.startswith("postgresql"):
        # A process frozen (SIGSTOP, a paused VM) inside a transaction holds its row locks -- the lease row's
        # among them, so a takeover would wait for it forever. The server ends such a transaction after this
        # long idle (the frozen process then finds its connection gone and its lease taken over).
        idle = _int_env(IDLE_TRANSACTION_ENV, int(DEFAULT_LEASE_SECONDS), 1)
        connect_args["options"] = f"-c idle_in_transaction_session_timeout={idle * 1000}"
    return create_engine(
        url, pool_pre_ping=True, pool_size=size, max_overflow=overflow, connect_args=connect_args
    )


_PREPARE_LOCK = 0x1D5_7A7E
"""The PostgreSQL advisory lock (transaction-scoped) that serialises preparing a state database."""
_ATTEMPTS = 5


def prepare(engine: Engine, sql: Sql, url: str) -> None:
    """Create the missing tables, then check the schema version: record it in a new database, upgrade an
    older one, refuse a newer one (``StateError``).

    Several processes may open one new database at once (two ``idsync run`` of a job, workers): on
    PostgreSQL an advisory lock serialises them; on SQLite a process that loses the race for a table or the
    version row (``already exists``, a unique violation) prepares again and finds them made."""
    for attempt in range(_ATTEMPTS):
        try:
            with engine.begin() as conn:
                if engine.dialect.name == "postgresql":
                    conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_PREPARE_LOCK})")
                get_table_definitions().create_all(conn)
                _check_version(conn, sql, url)
            return
        except (OperationalError, IntegrityError, ProgrammingError) as exc:
            if attempt == _ATTEMPTS - 1 or not _raced(exc):
                raise
            time.sleep(0.05 * (attempt + 1))


def _raced(exc: Exception) -> bool:
    text = str(exc).lower()
    return any(marker in text for marker in ("already exists", "unique", "duplicate", "locked", "integrity"))


def _check_version(conn: Connection, sql: Sql, url: str) -> None:
    rows = sql.query(conn, "SELECT value FROM idsync_metadata WHERE key = ?", ("schema_version",))
    if not rows:
        sql.insert(conn, "idsync_metadata", ("key", "value"), [("schema_version", str(SCHEMA_VERSION))])
        return
    version = int(rows[0][0])
    if version > SCHEMA_VERSION:
        raise StateError(
            f"the state database {url} has schema version {version}, newer than this idsync "
            f"understands ({SCHEMA_VERSION}); upgrade idsync"
        )
    if version < SCHEMA_VERSION:
        upgrade(conn, version)
        sql.run(
            conn,
            "UPDATE idsync_metadata SET value = ? WHERE key = ?",
            (str(SCHEMA_VERSION), "schema_version"),
        )
