"""The sync state database: SQLAlchemy 2 Core tables declared in one place, and ``StateStore`` over them.

What is kept, per job (``job_id`` column everywhere, so several jobs can share one database):

* ``watermarks``  – where each object mapping's source read got to (a ``connectors.Watermark``);
* ``links``       – source anchor ↔ target id per object mapping, with the last exported values (the
  "essence", versioned JSON), references still waiting for their target (decision 9) and a disabled flag;
* ``datastore``   – the connector data store (per-object fingerprints of sources without change tracking);
* ``escrows``     – objects whose last attempt failed, with the next retry time (spec §D.6);
* ``staged``      – removals held back by the accidental-deletion guard (spec §D.5);
* ``intents``     – creates journaled before their export and not yet linked (crash safety, see
  ``engine.sync._intents``); a table added later is simply created in older databases by ``create_all``, so
  it needs no schema version bump;
* ``job_status``  – status, quarantine, counters (Graph synchronizationStatus, as JSON);
* ``cycles``      – cycle history with counts per object type;
* ``provisioning_log`` – records in Graph's provisioningObjectSummary shape.

The schema is versioned (``idsync_metadata.schema_version``); a newer database is refused. Datetimes are
stored as ISO-8601 text with their offset (SQLite drops tzinfo otherwise). All writes of one page go
through one ``Batch`` committed in one transaction: links, essences, escrows, data store, watermark and
log records land together or not at all, so a process killed at any point loses and duplicates nothing.
This module is the only place that imports SQLAlchemy in the engine.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    Dialect,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    and_,
    create_engine,
    delete,
    event,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import StaticPool

from connectors import Watermark

from ._state_types import Batch, EscrowRow, Intent, Link, StagedRemoval, StateError

__all__ = [
    "SCHEMA_VERSION",
    "Batch",
    "EscrowRow",
    "Intent",
    "Link",
    "StagedRemoval",
    "StateError",
    "StateStore",
    "get_table_definitions",
]

SCHEMA_VERSION = 1
_CHUNK = 500  # keeps IN lists under every database's parameter limit


class TZDateTime(TypeDecorator[datetime]):
    """Timezone-aware datetimes stored as ISO-8601 text; naive values are refused (they would lie)."""

    impl = String(40)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> str | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the state store; use an aware UTC datetime")
        return value.isoformat()

    def process_result_value(self, value: str | None, dialect: Dialect) -> datetime | None:
        return None if value is None else datetime.fromisoformat(value)


def get_table_definitions(metadata: MetaData | None = None) -> MetaData:
    """Every table of the state database, in one place."""
    md = metadata or MetaData()
    Table("idsync_metadata", md, Column("key", String(64), primary_key=True), Column("value", Text))
    Table(
        "job_status",
        md,
        Column("job_id", String(200), primary_key=True),
        Column("data", Text, nullable=False),
    )
    Table(  # a schema replaced through the API (Graph's PUT .../schema); absent: the job file's schema
        "job_schema",
        md,
        Column("job_id", String(200), primary_key=True),
        Column("replaced", TZDateTime, nullable=False),
        Column("data", Text, nullable=False),
    )
    Table(
        "watermarks",
        md,
        Column("job_id", String(200), primary_key=True),
        Column("scope", String(400), primary_key=True),
        Column("value", Text, nullable=False),
    )
    Table(
        "datastore",
        md,
        Column("job_id", String(200), primary_key=True),
        Column("scope", String(400), primary_key=True),
        Column("key", String(400), primary_key=True),
        Column("value", Text, nullable=False),
    )
    Table(
        "links",
        md,
        Column("job_id", String(200), primary_key=True),
        Column("scope", String(400), primary_key=True),
        Column("source_id", String(400), primary_key=True),
        Column("target_id", String(400), nullable=False),
        Column("essence", Text, nullable=False),
        Column("pending_refs", Text),
        Column("disabled", Boolean, nullable=False, default=False),
        Index("ix_links_pending", "job_id", "scope", "pending_refs"),
    )
    Table(
        "escrows",
        md,
        Column("job_id", String(200), primary_key=True),
        Column("scope", String(400), primary_key=True),
        Column("source_id", String(400), primary_key=True),
        Column("attempts", Integer, nullable=False),
        Column("first_failure", TZDateTime, nullable=False),
        Column("next_attempt", TZDateTime, nullable=False),
        Column("code", String(200), nullable=False),
        Column("message", Text, nullable=False),
    )
    Table(
        "staged",
        md,
        Column("job_id", String(200), primary_key=True),
        Column("scope", String(400), primary_key=True),
        Column("source_id", String(400), primary_key=True),
        Column("data", Text, nullable=False),
    )
    Table(
        "intents",
        md,
        Column("job_id", String(200), primary_key=True),
        Column("scope", String(400), primary_key=True),
        Column("source_id", String(400), primary_key=True),
        Column("recorded", TZDateTime, nullable=False),
        Column("data", Text, nullable=False),
    )
    Table(
        "cycles",
        md,
        Column("id", String(64), primary_key=True),
        Column("job_id", String(200), nullable=False, index=True),
        Column("began", TZDateTime, nullable=False),
        Column("data", Text, nullable=False),
    )
    Table(
        "provisioning_log",
        md,
        Column("seq", Integer, primary_key=True, autoincrement=True),
        Column("id", String(64), nullable=False),
        Column("job_id", String(200), nullable=False),
        Column("cycle_id", String(64)),
        Column("activity", TZDateTime, nullable=False),
        Column("action", String(32), nullable=False),
        Column("status", String(32), nullable=False),
        Column("source_id", String(400)),
        Column("data", Text, nullable=False),
        Index("ix_log_job_seq", "job_id", "seq"),
    )
    return md


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)


def _chunks(items: Sequence[Any]) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]


def _make_engine(url: str) -> Engine:
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
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        return engine
    return create_engine(url, pool_pre_ping=True)


class StateStore:
    """All reads and writes of one job's state. Reads are batched (IN queries per page)."""

    def __init__(self, url: str, job_id: str) -> None:
        self.url = url
        self.job_id = job_id
        self.tables = get_table_definitions().tables
        try:
            self._engine = _make_engine(url)
            with self._engine.begin() as conn:
                get_table_definitions().create_all(conn)
                self._check_version(conn)
        except SQLAlchemyError as exc:
            raise StateError(
                f"cannot open the state database {url}: {exc.__class__.__name__}: {exc}"
            ) from exc

    def _check_version(self, conn: Connection) -> None:
        meta = self.tables["idsync_metadata"]
        row = conn.execute(select(meta.c.value).where(meta.c.key == "schema_version")).first()
        if row is None:
            conn.execute(meta.insert(), {"key": "schema_version", "value": str(SCHEMA_VERSION)})
        elif int(row[0]) > SCHEMA_VERSION:
            raise StateError(
                f"the state database {self.url} has schema version {row[0]}, newer than this idsync "
                f"understands ({SCHEMA_VERSION}); upgrade idsync"
            )

    def close(self) -> None:
        self._engine.dispose()

    def _where(self, table: str, scope: str | None = None) -> Any:
        t = self.tables[table]
        clause = t.c.job_id == self.job_id
        return and_(clause, t.c.scope == scope) if scope is not None else clause

    # --- reads -----------------------------------------------------------------------------------------

    def watermark(self, scope: str) -> Watermark | None:
        t = self.tables["watermarks"]
        with self._engine.connect() as conn:
            row = conn.execute(select(t.c.value).where(self._where("watermarks", scope))).first()
        return None if row is None else Watermark.from_json(json.loads(row[0]))

    def links(self, scope: str, source_ids: Iterable[str]) -> dict[str, Link]:
        t = self.tables["links"]
        found: dict[str, Link] = {}
        with self._engine.connect() as conn:
            for chunk in _chunks(list(dict.fromkeys(source_ids))):
                query = select(t).where(self._where("links", scope), t.c.source_id.in_(chunk))
                for row in conn.execute(query):
                    found[row.source_id] = Link.from_row(row)
        return found

    def target_ids(self, scopes: Sequence[str], source_ids: Iterable[str]) -> dict[str, str]:
        """Source id -> target id across the given mappings, for translating references. Disabled links count:
        the target object still exists, and leaving them out would make a group's members depend on whether
        the group itself changed in the same cycle (an incremental cycle must end where a full one ends)."""
        t = self.tables["links"]
        found: dict[str, str] = {}
        with self._engine.connect() as conn:
            for chunk in _chunks(list(dict.fromkeys(source_ids))):
                query = select(t.c.source_id, t.c.target_id).where(
                    t.c.job_id == self.job_id,
                    t.c.scope.in_(scopes),
                    t.c.source_id.in_(chunk),
                )
                found.update({row.source_id: row.target_id for row in conn.execute(query)})
        return found

    def iter_links(self, scope: str, *, pending_only: bool = False, page: int = 1000) -> Iterator[list[Link]]:
        """Every link of a mapping in source-id order, a page at a time (keyset paging: bounded memory)."""
        t = self.tables["links"]
        after = ""
        while True:
            query = select(t).where(self._where("links", scope), t.c.source_id > after)
            if pending_only:
                query = query.where(t.c.pending_refs.is_not(None))
            with self._engine.connect() as conn:
                rows = [Link.from_row(r) for r in conn.execute(query.order_by(t.c.source_id).limit(page))]
            if not rows:
                return
            yield rows
            after = rows[-1].source_id

    def count_links(self) -> dict[str, int]:
        t = self.tables["links"]
        query = select(t.c.scope, func.count()).where(t.c.job_id == self.job_id).group_by(t.c.scope)
        with self._engine.connect() as conn:
            return {row[0]: int(row[1]) for row in conn.execute(query)}

    def escrows(self, scope: str, source_ids: Iterable[str]) -> dict[str, EscrowRow]:
        t = self.tables["escrows"]
        found: dict[str, EscrowRow] = {}
        with self._engine.connect() as conn:
            for chunk in _chunks(list(dict.fromkeys(source_ids))):
                query = select(t).where(self._where("escrows", scope), t.c.source_id.in_(chunk))
                found.update({row.source_id: EscrowRow.from_row(row) for row in conn.execute(query)})
        return found

    def due_escrows(self, scope: str, now: datetime, limit: int = 1000) -> list[EscrowRow]:
        t = self.tables["escrows"]
        # Compare in Python: ISO text with different offsets does not sort as time.
        with self._engine.connect() as conn:
            rows = [
                EscrowRow.from_row(r) for r in conn.execute(select(t).where(self._where("escrows", scope)))
            ]
        return [row for row in rows if row.next_attempt <= now][:limit]

    def count_escrows(self) -> int:
        t = self.tables["escrows"]
        with self._engine.connect() as conn:
            return int(conn.execute(select(func.count()).where(t.c.job_id == self.job_id)).scalar_one())

    def datastore_get(self, scope: str, keys: Iterable[str]) -> dict[str, str]:
        t = self.tables["datastore"]
        found: dict[str, str] = {}
        with self._engine.connect() as conn:
            for chunk in _chunks(list(dict.fromkeys(keys))):
                query = select(t.c.key, t.c.value).where(self._where("datastore", scope), t.c.key.in_(chunk))
                found.update({row.key: row.value for row in conn.execute(query)})
        return found

    def datastore_keys(self, scope: str) -> Iterator[str]:
        t = self.tables["datastore"]
        with self._engine.connect() as conn:
            keys = [row[0] for row in conn.execute(select(t.c.key).where(self._where("datastore", scope)))]
        yield from keys

    def datastore_count(self, scope: str) -> int:
        t = self.tables["datastore"]
        with self._engine.connect() as conn:
            query = select(func.count()).select_from(t).where(self._where("datastore", scope))
            return int(conn.execute(query).scalar_one())

    def iter_staged(self, scope: str) -> Iterator[list[StagedRemoval]]:
        t = self.tables["staged"]
        after = ""
        while True:
            query = select(t).where(self._where("staged", scope), t.c.source_id > after)
            with self._engine.connect() as conn:
                rows = [
                    StagedRemoval.from_row(r) for r in conn.execute(query.order_by(t.c.source_id).limit(500))
                ]
            if not rows:
                return
            yield rows
            after = rows[-1].source_id

    def count_staged(self) -> int:
        t = self.tables["staged"]
        with self._engine.connect() as conn:
            return int(conn.execute(select(func.count()).where(t.c.job_id == self.job_id)).scalar_one())

    def intents(self, scope: str) -> list[Intent]:
        """The pending create intents of a mapping (few: only creates a crash left unlinked)."""
        t = self.tables["intents"]
        query = select(t).where(self._where("intents", scope)).order_by(t.c.source_id)
        with self._engine.connect() as conn:
            return [Intent.from_row(row) for row in conn.execute(query)]

    def count_intents(self) -> int:
        t = self.tables["intents"]
        with self._engine.connect() as conn:
            return int(conn.execute(select(func.count()).where(t.c.job_id == self.job_id)).scalar_one())

    def linked_targets(self, scope: str, target_ids: Iterable[str]) -> set[str]:
        """Which of these target ids a link of the mapping points at (no index on target ids: call rarely)."""
        t = self.tables["links"]
        found: set[str] = set()
        with self._engine.connect() as conn:
            for chunk in _chunks(list(dict.fromkeys(target_ids))):
                query = select(t.c.target_id).where(self._where("links", scope), t.c.target_id.in_(chunk))
                found.update(row[0] for row in conn.execute(query))
        return found

    def status(self) -> dict[str, Any]:
        t = self.tables["job_status"]
        with self._engine.connect() as conn:
            row = conn.execute(select(t.c.data).where(t.c.job_id == self.job_id)).first()
        return {} if row is None else dict(json.loads(row[0]))

    def stored_schema(self) -> tuple[dict[str, Any], datetime] | None:
        """The schema document replaced through the API and when, or None (the job file's schema rules)."""
        t = self.tables["job_schema"]
        with self._engine.connect() as conn:
            row = conn.execute(select(t.c.data, t.c.replaced).where(t.c.job_id == self.job_id)).first()
        return None if row is None else (dict(json.loads(row[0])), row[1])

    def store_schema(self, document: Mapping[str, Any] | None, replaced: datetime) -> None:
        """Keep ``document`` as the job's schema from now on; None goes back to the job file's."""
        t = self.tables["job_schema"]
        with self._engine.begin() as conn:
            conn.execute(delete(t).where(t.c.job_id == self.job_id))
            if document is not None:
                conn.execute(insert(t).values(job_id=self.job_id, replaced=replaced, data=_dumps(document)))

    def cycles(self, limit: int = 20) -> list[dict[str, Any]]:
        t = self.tables["cycles"]
        query = select(t.c.data).where(t.c.job_id == self.job_id).order_by(t.c.began.desc()).limit(limit)
        with self._engine.connect() as conn:
            return [json.loads(row[0]) for row in conn.execute(query)]

    def logs(
        self, *, cycle_id: str | None = None, since: int = 0, limit: int = 100, newest_first: bool = False
    ) -> list[tuple[int, dict[str, Any]]]:
        """(sequence number, record) pairs; ``since`` is an exclusive sequence number for paging."""
        t = self.tables["provisioning_log"]
        query = select(t.c.seq, t.c.data).where(t.c.job_id == self.job_id)
        if cycle_id is not None:
            query = query.where(t.c.cycle_id == cycle_id)
        if newest_first:
            query = query.where(t.c.seq < since) if since else query
            query = query.order_by(t.c.seq.desc())
        else:
            query = query.where(t.c.seq > since).order_by(t.c.seq)
        with self._engine.connect() as conn:
            return [(row.seq, json.loads(row.data)) for row in conn.execute(query.limit(limit))]

    # --- writes ----------------------------------------------------------------------------------------

    def record_intents(self, scope: str, intents: Sequence[Intent]) -> None:
        """Journal creates before they are exported, in their own committed transaction (one executemany)."""
        if not intents:
            return
        try:
            with self._engine.begin() as conn:
                self._replace(conn, "intents", scope, [i.to_row(self.job_id, scope) for i in intents])
        except SQLAlchemyError as exc:
            raise StateError(f"cannot write the state database {self.url}: {exc}") from exc

    def commit(self, batch: Batch) -> None:
        """Write one batch in one transaction (all of it or nothing)."""
        if batch.empty:
            return
        try:
            with self._engine.begin() as conn:
                self._write(conn, batch)
        except SQLAlchemyError as exc:
            raise StateError(f"cannot write the state database {self.url}: {exc}") from exc

    def _write(self, conn: Connection, batch: Batch) -> None:
        for scope, links in batch.links.items():
            self._replace(conn, "links", scope, [link.to_row(self.job_id, scope) for link in links.values()])
        for scope, ids in batch.unlinked.items():
            self._delete_ids(conn, "links", scope, sorted(ids))
        for scope, escrows in batch.escrows.items():
            self._replace(conn, "escrows", scope, [e.to_row(self.job_id, scope) for e in escrows.values()])
        for scope, ids in batch.cleared_escrows.items():
            self._delete_ids(conn, "escrows", scope, sorted(ids - set(batch.escrows.get(scope, {}))))
        for scope, staged in batch.staged.items():
            self._replace(conn, "staged", scope, [s.to_row(self.job_id, scope) for s in staged.values()])
        for scope, ids in batch.unstaged.items():
            self._delete_ids(conn, "staged", scope, sorted(ids))
        for scope, ids in batch.cleared_intents.items():
            self._delete_ids(conn, "intents", scope, sorted(ids))
        for scope, updates in batch.store_updates.items():
            self._write_store(conn, scope, updates)
        for scope, watermark in batch.watermarks.items():
            self._replace(
                conn,
                "watermarks",
                scope,
                [{"job_id": self.job_id, "scope": scope, "value": _dumps(watermark.to_json())}],
                key="scope",
            )
        self._write_records(conn, batch)

    def _write_records(self, conn: Connection, batch: Batch) -> None:
        if batch.logs:
            conn.execute(self.tables["provisioning_log"].insert(), [self._log_row(r) for r in batch.logs])
        if batch.cycle is not None:
            t = self.tables["cycles"]
            conn.execute(delete(t).where(t.c.id == batch.cycle["id"]))
            began = datetime.fromisoformat(batch.cycle["timeBegan"])
            conn.execute(
                t.insert(),
                {"id": batch.cycle["id"], "job_id": self.job_id, "began": began, "data": _dumps(batch.cycle)},
            )
        if batch.status is not None:
            t = self.tables["job_status"]
            conn.execute(delete(t).where(t.c.job_id == self.job_id))
            conn.execute(t.insert(), {"job_id": self.job_id, "data": _dumps(batch.status)})

    def _log_row(self, record: Mapping[str, Any]) -> dict[str, Any]:
        return {
            "id": record["id"],
            "job_id": self.job_id,
            "cycle_id": record.get("cycleId"),
            "activity": datetime.fromisoformat(record["activityDateTime"]),
            "action": record.get("provisioningAction", "other"),
            "status": record.get("status", "success"),
            "source_id": record.get("sourceId"),
            "data": _dumps(record),
        }

    def _replace(
        self, conn: Connection, table: str, scope: str, rows: list[dict[str, Any]], key: str = ""
    ) -> None:
        if not rows:
            return
        if key == "scope":
            t = self.tables[table]
            conn.execute(delete(t).where(self._where(table, scope)))
        else:
            self._delete_ids(conn, table, scope, [row["source_id"] for row in rows])
        conn.execute(self.tables[table].insert(), rows)

    def _delete_ids(self, conn: Connection, table: str, scope: str, ids: Sequence[str]) -> None:
        t = self.tables[table]
        for chunk in _chunks(ids):
            conn.execute(delete(t).where(self._where(table, scope), t.c.source_id.in_(chunk)))

    def _write_store(self, conn: Connection, scope: str, updates: Mapping[str, str | None]) -> None:
        t = self.tables["datastore"]
        keys = list(updates)
        for chunk in _chunks(keys):
            conn.execute(delete(t).where(self._where("datastore", scope), t.c.key.in_(chunk)))
        rows = [
            {"job_id": self.job_id, "scope": scope, "key": k, "value": v}
            for k, v in updates.items()
            if v is not None
        ]
        if rows:
            conn.execute(t.insert(), rows)

    def reset(self, what: set[str]) -> None:
        """Clear parts of the state: any of watermarks, datastore, links, escrows, staged, intents, status,
        logs. Restarts never clear intents: each stands for an object that may exist in the target."""
        with self._engine.begin() as conn:
            for name in sorted(what):
                table = {"status": "job_status", "logs": "provisioning_log"}.get(name, name)
                t = self.tables[table]
                conn.execute(delete(t).where(t.c.job_id == self.job_id))

    def clear_pending_refs(self, scope: str) -> None:
        t = self.tables["links"]
        with self._engine.begin() as conn:
            conn.execute(update(t).where(self._where("links", scope)).values(pending_refs=None))
