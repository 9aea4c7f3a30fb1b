"""Opening the state database: the engine (SQLite in WAL mode), the tables, and the schema version check
with the upgrade of an older database (``_state_schema``)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import StaticPool

from ._state_reads import WORKERS as READ_WORKERS
from ._state_schema import SCHEMA_VERSION, get_table_definitions, upgrade
from ._state_sql import Sql
from ._state_types import StateError

__all__ = ["make_engine", "make_read_engine", "prepare"]


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
                # each checkpoint's fsyncs are paid less often (about a tenth of an initial cycle's time).
                cursor.execute("PRAGMA wal_autocheckpoint=16384")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        return engine
    return create_engine(url, pool_pre_ping=True)


def make_read_engine(url: str, engine: Engine) -> Engine | None:
    """The engine of the parallel reads by id (``_state_reads``). For a SQLite file: a pool of its own, one
    connection per reading thread, apart from the writing connection (whose page cache then holds what the
    writes touch). None for anything else: read on the calling thread."""
    if not url.startswith("sqlite") or isinstance(engine.pool, StaticPool):
        return None
    reads = create_engine(
        url, connect_args={"check_same_thread": False, "timeout": 30}, pool_size=READ_WORKERS
    )

    @event.listens_for(reads, "connect")
    def _small_cache(dbapi_connection: Any, _record: Any) -> None:
        # What they read only needs to reach the operating system's cache, where the writing connection
        # finds it: 256 KiB each (the b-trees' upper pages) instead of 2 MiB, which four readers filled.
        dbapi_connection.execute("PRAGMA cache_size=-256")

    return reads


def prepare(engine: Engine, sql: Sql, url: str) -> None:
    """Create the missing tables, then check the schema version: record it in a new database, upgrade an
    older one, refuse a newer one (``StateError``)."""
    with engine.begin() as conn:
        get_table_definitions().create_all(conn)
        _check_version(conn, sql, url)


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
