"""Opening the state database: the engine (SQLite in WAL mode), the tables, and the schema version check
with the upgrade of an older database (``_schema``). How rows are read by id is chosen afterwards, once
(``_reads.choose_reads``)."""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError, OperationalError, ProgrammingError
from sqlalchemy.pool import StaticPool

from ._schema import SCHEMA_VERSION, get_table_definitions, upgrade
from ._sql import Sql
from ._types import StateError

__all__ = ["make_engine", "prepare"]


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
    return create_engine(url, pool_pre_ping=True)


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
