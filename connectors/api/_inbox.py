"""The inbox of API-driven inbound provisioning: the records ``bulkUpload`` accepted, kept durably in one
SQLite file (stdlib ``sqlite3``, WAL, ``synchronous=FULL``) until the job's cycles have read them.

Who writes and who reads: ``engine.api`` appends a request's records in one transaction *before* it answers
202 (so a daemon killed right after the 202 loses nothing); the ``api`` connector reads them in its cycles.
Records are never rewritten: each has a sequence number (``seq``, the connector's watermark cursor), and the
current state of a person is the newest record with their ``externalId``, as Entra's inbound service treats
each upload of a record as the whole truth about that person.

The file lives where the job's connector settings say (``inbox:``, relative to the job file's folder): it is
the job's state for this source, owned by the ``api`` connector, outside the engine's state database (the
engine's store stays SQLAlchemy's, and this file needs nothing but sqlite3).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .._errors import ConnectionFailed

SCHEMA_VERSION = 1
_DDL = (
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS records (seq INTEGER PRIMARY KEY AUTOINCREMENT, external_id TEXT NOT NULL, "
    "bulk_id TEXT, request_id TEXT NOT NULL, received TEXT NOT NULL, data TEXT NOT NULL)",
    "CREATE INDEX IF NOT EXISTS records_by_person ON records (external_id, seq)",
)


@dataclass(frozen=True, slots=True)
class InboundRecord:
    """One operation of a bulk request: a person's whole record."""

    external_id: str
    bulk_id: str | None
    data: dict[str, Any]


@dataclass(frozen=True, slots=True)
class StoredRecord:
    seq: int
    external_id: str
    bulk_id: str | None
    request_id: str
    received: str
    data: dict[str, Any]


class Inbox:
    """One inbox file; every call opens its own connection (the API's and the cycles' threads share none)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            connection = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        except (OSError, sqlite3.Error) as exc:
            raise ConnectionFailed(
                f"cannot open the inbound inbox {self.path}: {exc}", connector="api"
            ) from None
        try:
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("PRAGMA synchronous=FULL")
            for statement in _DDL:
                connection.execute(statement)
            row = connection.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
            if row is None:
                connection.execute(
                    "INSERT OR IGNORE INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),)
                )
            elif int(row[0]) > SCHEMA_VERSION:
                raise ConnectionFailed(
                    f"the inbox {self.path} was written by a newer idsync (version {row[0]})", connector="api"
                )
            yield connection
        except sqlite3.Error as exc:
            raise ConnectionFailed(f"the inbound inbox {self.path} failed: {exc}", connector="api") from None
        finally:
            connection.close()

    def append(self, request_id: str, records: Sequence[InboundRecord]) -> None:
        """Store every record of one request, all or none; durable on disk when this returns."""
        received = datetime.now(UTC).isoformat()
        rows = [
            (r.external_id, r.bulk_id, request_id, received, json.dumps(r.data, ensure_ascii=False))
            for r in records
        ]
        with self._connect() as connection:
            connection.execute("BEGIN IMMEDIATE")
            try:
                connection.executemany(
                    "INSERT INTO records (external_id, bulk_id, request_id, received, data) "
                    "VALUES (?, ?, ?, ?, ?)",
                    rows,
                )
            except BaseException:
                connection.execute("ROLLBACK")
                raise
            connection.execute("COMMIT")

    def last_seq(self) -> int:
        with self._connect() as connection:
            row = connection.execute("SELECT COALESCE(MAX(seq), 0) FROM records").fetchone()
            return int(row[0])

    def latest(self, start: int, stop: int) -> list[StoredRecord]:
        """The newest record of each person among those with ``start <= seq <= stop``, by ``seq``."""
        query = (
            "SELECT r.seq, r.external_id, r.bulk_id, r.request_id, r.received, r.data FROM records r "
            "JOIN (SELECT external_id, MAX(seq) AS newest FROM records WHERE seq BETWEEN ? AND ? "
            "GROUP BY external_id) n ON r.seq = n.newest ORDER BY r.seq"
        )
        with self._connect() as connection:
            rows = connection.execute(query, (start, stop)).fetchall()
        return [StoredRecord(int(s), e, b, q, r, json.loads(d)) for s, e, b, q, r, d in rows]

    def compact(self, below: int) -> int:
        """Delete the records no read can return any more: those superseded by a newer record of the same
        person, both below ``below`` (a watermark the job has committed: nothing under it is read again but
        each person's newest record, by full reads and ``person``). Returns how many went."""
        with self._connect() as connection:
            deleted = connection.execute(
                "DELETE FROM records WHERE seq < ? AND EXISTS (SELECT 1 FROM records newer WHERE "
                "newer.external_id = records.external_id AND newer.seq > records.seq AND newer.seq < ?)",
                (below, below),
            ).rowcount
        return int(deleted)

    def person(self, external_id: str) -> StoredRecord | None:
        with self._connect() as connection:
            row = connection.execute(
                "SELECT seq, external_id, bulk_id, request_id, received, data FROM records "
                "WHERE external_id = ? ORDER BY seq DESC LIMIT 1",
                (external_id,),
            ).fetchone()
        if row is None:
            return None
        return StoredRecord(int(row[0]), row[1], row[2], row[3], row[4], json.loads(row[5]))


__all__ = ["InboundRecord", "Inbox", "StoredRecord"]
