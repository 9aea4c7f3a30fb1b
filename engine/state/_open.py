"""Opening the state database: the engine (SQLite in WAL mode), the tables, and the schema version check
with the upgrade of an older database (``_schema``). How rows are read by id is chosen afterwards, once
(``_reads.choose_reads``)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Connection, Engine
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
