"""``StateStore``: every read and write of one job's state (what is kept: ``engine.state``'s docstring).

Reads by a list of ids go through the read strategy chosen when the store opens (``_reads``); writes of a
page go through one ``Batch`` in one transaction (``_writes``); statements are driver SQL (``_sql``).
"""

from __future__ import annotations

import json
import time
from collections.abc import Container, Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from itertools import chain
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from connectors import Watermark

from ._control import Control, read_control, request_control
from ._lease import DEFAULT_LEASE_SECONDS, Lease, acquire, describe_holder
from ._open import close_engine, open_engine, prepare
from ._rates import take
from ._reads import ParallelReadsSetting, choose_reads
from ._schema import DIRTY, WAITING
from ._sql import Sql, marks
from ._types import Batch, EscrowRow, Intent, Link, PendingExport, StagedRemoval, StateError, iso
from ._writes import Writer, dumps

__all__ = ["StateStore"]

_RESETS = {name: name for name in ("watermarks", "escrows", "staged", "intents", "exports")} | {
    "links": "object_links",
    "datastore": "store_keys",
    "status": "job_status",
    "logs": "provisioning_log",
}
_LINK = "SELECT source_id, target_id, essence, pending_refs, disabled FROM object_links"


class StateStore:
    """All reads and writes of one job's state. Reads are batched (IN queries per page).

    ``parallel_reads`` (``auto``, ``on`` or ``off``; a job file's ``state.parallelReads``) chooses, once, how
    lists of ids are read and whether a commit reads ahead: see ``_reads``."""

    def __init__(self, url: str, job_id: str, *, parallel_reads: ParallelReadsSetting = "auto") -> None:
        self.url = url
        self.job_id = job_id
        try:
            self._engine = open_engine(url)
        except (SQLAlchemyError, ValueError) as exc:
            raise StateError(f"cannot open the state database {url}: {exc}") from exc
        try:
            self._sql = Sql(self._engine.dialect)
            prepare(self._engine, self._sql, url)
            if self._engine.dialect.name == "sqlite":  # JSON as orjson writes it when text is UTF-8 (``Sql``)
                with self._engine.connect() as conn:
                    encoding = self._sql.query(conn, "PRAGMA encoding")
                self._sql.utf8 = bool(encoding) and str(encoding[0][0]).upper() == "UTF-8"
            self._reads = choose_reads(self._engine, self._sql, parallel_reads)
        except SQLAlchemyError as exc:
            close_engine(url, self._engine)
            raise StateError(
                f"cannot open the state database {url}: {exc.__class__.__name__}: {exc}"
            ) from exc

        self._closed = False
        self.lease: Lease | None = None
        """The job's lease while this store holds it (``acquire_lease``): every write checks it."""

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self.lease is not None:
            self.lease.release()
        self._reads.close()
        close_engine(self.url, self._engine)

    # --- the job's lease (``_lease``) ---------------------------------------------------------------------

    def acquire_lease(self, *, ttl: float = DEFAULT_LEASE_SECONDS, wait: float = 0.0) -> Lease:
        """Take the job's lease (``JobBusy`` when another process keeps it past ``wait`` seconds); until
        ``Lease.release``, every write of this store checks it in its transaction (``Fenced``)."""
        if self.lease is not None:
            raise StateError(f"job {self.job_id!r}: this store holds the lease already")
        memory = self._engine.dialect.name == "sqlite" and self.url in {"sqlite://", "sqlite:///:memory:"}
        lease = acquire(
            self._engine,
            self._sql,
            self.job_id,
            ttl=ttl,
            wait=wait,
            heartbeat=not memory,
            on_release=self._released,
        )
        self.lease = lease
        return lease

    def _released(self, lease: Lease) -> None:
        if self.lease is lease:
            self.lease = None

    def lease_holder(self) -> tuple[str, datetime] | None:
        """Who holds the job's lease now (as people read it) and until when; None when nobody does."""
        rows = self._query("SELECT holder, expires FROM job_leases WHERE job_id = ?", (self.job_id,))
        if not rows or int(rows[0][1]) <= int(time.time() * 1000):
            return None
        return describe_holder(str(rows[0][0])), datetime.fromtimestamp(int(rows[0][1]) / 1000, UTC)

    # --- operator controls (``_control``): any process, no lease -------------------------------------------

    def control(self) -> Control:
        try:
            with self._engine.connect() as conn:
                return read_control(self._sql, conn, self.job_id)
        except SQLAlchemyError as exc:
            raise StateError(f"cannot read the state database {self.url}: {exc}") from exc

    def request_control(
        self, *, paused: bool | None = None, force: bool = False, lift: bool = False, stop: bool = False
    ) -> Control:
        """Record an operator's request (``_control.request_control``) and return the controls after it."""
        try:
            with self._engine.begin() as conn:
                request_control(
                    self._sql, conn, self.job_id, paused=paused, force=force, lift=lift, stop=stop
                )
                return read_control(self._sql, conn, self.job_id)
        except SQLAlchemyError as exc:
            raise StateError(f"cannot write the state database {self.url}: {exc}") from exc

    def check_lease(self) -> None:
        """Before a target batch: ``Fenced`` when this store's lease was taken over (nothing without one)."""
        if self.lease is not None:
            self.lease.check()

    def _fence(self, conn: Any) -> float | None:
        return self.lease.fence(conn) if self.lease is not None else None

    def _confirmed(self, started: float | None) -> None:
        if started is not None and self.lease is not None:
            self.lease.confirmed(started)

    def _query(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        with self._engine.connect() as conn:
            return self._sql.query(conn, sql, params)

    def _by_ids(
        self, select: str, ids: Iterable[str], params: Sequence[Any], column: str = "source_id"
    ) -> Iterator[Any]:
        """Rows of ``select ... WHERE <its conditions> AND column IN (ids)``, one query per chunk, read as
        the store's read strategy reads them (``_reads``)."""
        return self._reads.rows(select, list(dict.fromkeys(ids)), params, column)

    # --- reads -----------------------------------------------------------------------------------------

    def watermark(self, mapping_key: str) -> Watermark | None:
        rows = self._query(
            "SELECT value FROM watermarks WHERE job_id = ? AND scope = ?", (self.job_id, mapping_key)
        )
        return Watermark.from_json(json.loads(rows[0][0])) if rows else None

    def links(self, mapping_key: str, source_ids: Iterable[str]) -> dict[str, Link]:
        where = f"{_LINK} WHERE job_id = ? AND scope = ?"
        return {
            row[0]: Link.from_values(row)
            for row in self._by_ids(where, source_ids, (self.job_id, mapping_key))
        }

    def target_ids(self, mapping_keys: Sequence[str], source_ids: Iterable[str]) -> dict[str, str]:
        """Source id -> target id across the given mappings, for translating references. Disabled links count:
        the target object still exists, and leaving them out would make a group's members depend on whether
        the group itself changed in the same cycle (an incremental cycle must end where a full one ends)."""
        if not mapping_keys:
            return {}
        where = (
            "SELECT source_id, target_id FROM object_links "
            f"WHERE job_id = ? AND scope IN ({marks(len(mapping_keys))})"
        )
        return {row[0]: row[1] for row in self._by_ids(where, source_ids, (self.job_id, *mapping_keys))}

    def iter_links(
        self,
        mapping_key: str,
        *,
        pending_only: bool = False,
        page: int = 1000,
        skip: Container[str] | None = None,
    ) -> Iterator[list[Link]]:
        """Every link of a mapping in source-id order, a page at a time (keyset paging: bounded memory).
        ``pending_only``: those with pending references, the dirty ones then the waiting ones (each in
        source-id order, read through the partial index of pending links). With ``skip`` (e.g. the ids a
        full read saw), the links of those source ids are left out without being read or decoded: the ids
        are paged from the key and only the others' rows are fetched (empty pages are not yielded)."""
        if skip is not None:
            return self._links_except(mapping_key, skip, page)
        if pending_only:
            return chain(
                self._pages(mapping_key, "ref_state = ?", (DIRTY,), page),
                self._pages(mapping_key, "ref_state = ?", (WAITING,), page),
            )
        return self._pages(mapping_key, "1 = 1", (), page)

    def _links_except(self, mapping_key: str, skip: Container[str], page: int) -> Iterator[list[Link]]:
        sql = (
            "SELECT source_id FROM object_links WHERE job_id = ? AND scope = ? AND source_id > ? "
            "ORDER BY source_id LIMIT ?"
        )
        after = ""
        while True:
            ids = [row[0] for row in self._query(sql, (self.job_id, mapping_key, after, page))]
            if not ids:
                return
            others = [i for i in ids if i not in skip]
            if others:
                found = self.links(mapping_key, others)
                yield [found[i] for i in others if i in found]
            after = ids[-1]

    def iter_dirty_links(self, mapping_key: str, *, page: int = 1000) -> Iterator[list[Link]]:
        """The links whose pending references the references phase must process (``Batch`` says which), in
        source-id order. Each page is read after the previous one was handed back, so a caller that settles
        a page before asking for the next never sees it again."""
        return self._pages(mapping_key, "ref_state = ?", (DIRTY,), page)

    def waiting_links(self, mapping_key: str, named: Iterable[str]) -> dict[str, Link]:
        """The waiting links of ``mapping_key`` whose pending references name any of the source ids ``named``:
        those a cycle would wake by linking, relinking or unlinking them (what a dry-run must try on top of
        the dirty links, instead of every pending link)."""
        select = "SELECT DISTINCT source_id FROM ref_waits WHERE job_id = ? AND scope = ?"
        params = (self.job_id, mapping_key)
        candidates = [row[0] for row in self._by_ids(select, named, params, column="wanted")]
        waiting = "SELECT source_id FROM object_links WHERE job_id = ? AND scope = ? AND ref_state = ?"
        ids = [row[0] for row in self._by_ids(waiting, candidates, (self.job_id, mapping_key, WAITING))]
        return self.links(mapping_key, ids)

    def _pages(
        self, mapping_key: str, condition: str, params: Sequence[Any], page: int
    ) -> Iterator[list[Link]]:
        """Links matching ``condition`` in source-id order. With a condition, the ids come first from the
        (covering) index of pending links and the rows by key: asked for the whole rows at once, SQLite
        walks the table in key order instead (no statistics tell it that few links are pending)."""
        if condition == "1 = 1":
            sql = f"{_LINK} WHERE job_id = ? AND scope = ? AND source_id > ? ORDER BY source_id LIMIT ?"
        else:
            sql = (
                f"SELECT source_id FROM object_links WHERE job_id = ? AND scope = ? AND {condition} "
                "AND source_id > ? ORDER BY source_id LIMIT ?"
            )
        after = ""
        while True:
            rows = self._query(sql, (self.job_id, mapping_key, *params, after, page))
            if not rows:
                return
            if condition == "1 = 1":
                yield [Link.from_values(r) for r in rows]
            else:
                found = self.links(mapping_key, [r[0] for r in rows])
                yield [found[r[0]] for r in rows if r[0] in found]
            after = rows[-1][0]

    def count_links(self) -> dict[str, int]:
        """Links per mapping (kept counts: no table scan)."""
        return self._counts("links")

    def _counts(self, kind: str) -> dict[str, int]:
        rows = self._query("SELECT scope, n FROM counts WHERE job_id = ? AND kind = ?", (self.job_id, kind))
        return {row[0]: int(row[1]) for row in rows if int(row[1]) > 0}

    def escrows(self, mapping_key: str, source_ids: Iterable[str]) -> dict[str, EscrowRow]:
        select = f"SELECT {', '.join(EscrowRow.COLUMNS)} FROM escrows WHERE job_id = ? AND scope = ?"
        return {
            row[0]: EscrowRow.from_values(row)
            for row in self._by_ids(select, source_ids, (self.job_id, mapping_key))
        }

    def due_escrows(self, mapping_key: str, now: datetime, limit: int = 1000) -> list[EscrowRow]:
        select = f"SELECT {', '.join(EscrowRow.COLUMNS)} FROM escrows WHERE job_id = ? AND scope = ?"
        # Compare in Python: ISO text with different offsets does not sort as time.
        rows = [EscrowRow.from_values(r) for r in self._query(select, (self.job_id, mapping_key))]
        return [row for row in rows if row.next_attempt <= now][:limit]

    def count_escrows(self) -> int:
        return self._count_job("escrows")

    def _count_job(self, table: str) -> int:
        return int(self._query(f"SELECT COUNT(*) FROM {table} WHERE job_id = ?", (self.job_id,))[0][0])

    def datastore_get(self, mapping_key: str, keys: Iterable[str]) -> dict[str, str]:
        select = "SELECT key, value FROM store_keys WHERE job_id = ? AND scope = ?"
        params = (self.job_id, mapping_key)
        return {row[0]: row[1] for row in self._by_ids(select, keys, params, column="key")}

    def datastore_keys(self, mapping_key: str, page: int = 10_000) -> Iterator[str]:
        """Every key of a mapping's data store, a page at a time (keyset paging: a million keys are never
        held at once)."""
        sql = (
            "SELECT key FROM store_keys WHERE job_id = ? AND scope = ? AND key > ? "
            f"ORDER BY key LIMIT {int(page)}"
        )
        after = ""
        while True:
            keys = [row[0] for row in self._query(sql, (self.job_id, mapping_key, after))]
            yield from keys
            if len(keys) < page:
                return
            after = keys[-1]

    def datastore_count(self, mapping_key: str) -> int:
        """Keys of a mapping's data store (a kept count: no table scan)."""
        return self._counts("datastore").get(mapping_key, 0)

    def iter_staged(self, mapping_key: str) -> Iterator[list[StagedRemoval]]:
        sql = (
            "SELECT source_id, data FROM staged WHERE job_id = ? AND scope = ? AND source_id > ? "
            "ORDER BY source_id LIMIT 500"
        )
        after = ""
        while True:
            rows = [StagedRemoval.from_values(r) for r in self._query(sql, (self.job_id, mapping_key, after))]
            if not rows:
                return
            yield rows
            after = rows[-1].source_id

    def count_staged(self) -> int:
        return self._count_job("staged")

    def intents(self, mapping_key: str) -> list[Intent]:
        """The pending create intents of a mapping (few: only creates a crash left unlinked)."""
        sql = (
            "SELECT source_id, recorded, data FROM intents WHERE job_id = ? AND scope = ? ORDER BY source_id"
        )
        return [Intent.from_values(row) for row in self._query(sql, (self.job_id, mapping_key))]

    def count_intents(self) -> int:
        return self._count_job("intents")

    def rate_wait(self, key: str, rate: float, count: int) -> float:
        """Seconds to wait before sending ``count`` requests to the target ``key``, limited to ``rate`` a
        second across every job and process on this state database (``_rates``)."""
        try:
            return take(self._engine, self._sql, key, rate, count)
        except SQLAlchemyError as exc:
            raise StateError(f"cannot write the state database {self.url}: {exc}") from exc

    def count_exports(self) -> int:
        """Exports journaled and never confirmed, of every mapping (and deletions' markers)."""
        return self._count_job("exports")

    def pending_exports(self, mapping_key: str) -> list[PendingExport]:
        """The exports of a mapping journaled and never confirmed (few: only those a crash interrupted)."""
        sql = "SELECT source_id, recorded, data FROM exports WHERE job_id = ? AND scope = ? ORDER BY 1"
        return [PendingExport.from_values(row) for row in self._query(sql, (self.job_id, mapping_key))]

    def links_by_target(self, mapping_key: str, target_ids: Iterable[str]) -> list[Link]:
        """The links of a mapping to these target objects (no index on target ids: call rarely)."""
        select = f"{_LINK} WHERE job_id = ? AND scope = ?"
        rows = self._by_ids(select, target_ids, (self.job_id, mapping_key), column="target_id")
        return [Link.from_values(row) for row in rows]

    def linked_targets(self, mapping_key: str, target_ids: Iterable[str]) -> set[str]:
        """Which of these target ids a link of the mapping points at (no index on target ids: call rarely)."""
        select = "SELECT target_id FROM object_links WHERE job_id = ? AND scope = ?"
        params = (self.job_id, mapping_key)
        return {row[0] for row in self._by_ids(select, target_ids, params, column="target_id")}

    def status(self) -> dict[str, Any]:
        rows = self._query("SELECT data FROM job_status WHERE job_id = ?", (self.job_id,))
        return dict(json.loads(rows[0][0])) if rows else {}

    def stored_schema(self) -> tuple[dict[str, Any], datetime] | None:
        """The schema document replaced through the API and when, or None (the job file's schema rules)."""
        rows = self._query("SELECT data, replaced FROM job_schema WHERE job_id = ?", (self.job_id,))
        return (dict(json.loads(rows[0][0])), datetime.fromisoformat(rows[0][1])) if rows else None

    def store_schema(self, document: Mapping[str, Any] | None, replaced: datetime) -> None:
        """Keep ``document`` as the job's schema from now on; None goes back to the job file's."""
        with self._engine.begin() as conn:
            self._fence(conn)
            self._sql.run(conn, "DELETE FROM job_schema WHERE job_id = ?", (self.job_id,))
            if document is not None:
                row = (self.job_id, iso(replaced), dumps(document))
                self._sql.insert(conn, "job_schema", ("job_id", "replaced", "data"), [row])

    def cycles(self, limit: int = 20) -> list[dict[str, Any]]:
        sql = "SELECT data FROM cycles WHERE job_id = ? ORDER BY began DESC LIMIT ?"
        return [json.loads(row[0]) for row in self._query(sql, (self.job_id, limit))]

    def logs(
        self, *, cycle_id: str | None = None, since: int = 0, limit: int = 100, newest_first: bool = False
    ) -> list[tuple[int, dict[str, Any]]]:
        """(sequence number, record) pairs; ``since`` is an exclusive sequence number for paging."""
        sql = "SELECT seq, data FROM provisioning_log WHERE job_id = ?"
        params: list[Any] = [self.job_id]
        if cycle_id is not None:
            sql, params = sql + " AND cycle_id = ?", [*params, cycle_id]
        if newest_first:
            if since:
                sql, params = sql + " AND seq < ?", [*params, since]
            sql += " ORDER BY seq DESC"
        else:
            sql, params = sql + " AND seq > ? ORDER BY seq", [*params, since]
        rows = self._query(sql + " LIMIT ?", (*params, limit))
        return [(int(row[0]), json.loads(row[1])) for row in rows]

    # --- writes ----------------------------------------------------------------------------------------

    def record_intents(
        self, mapping_key: str, intents: Sequence[Intent], exports: Sequence[PendingExport] = ()
    ) -> None:
        """Journal creates (and other exports) before they are exported, in their own committed transaction
        (one executemany per table)."""
        if not intents and not exports:
            return
        utf8 = self._sql.utf8
        rows = [i.row(utf8) for i in intents]
        others = [e.row(utf8) for e in exports]
        try:
            with self._engine.begin() as conn:
                started = self._fence(conn)
                writer = Writer(self._sql, conn, self.job_id)
                writer.journal("intents", mapping_key, rows)
                writer.journal("exports", mapping_key, others)
            self._confirmed(started)
        except SQLAlchemyError as exc:
            raise StateError(f"cannot write the state database {self.url}: {exc}") from exc

    def commit(self, batch: Batch) -> None:
        """Write one batch in one transaction (all of it or nothing)."""
        if batch.empty:
            return
        try:
            for mapping_key, updates in batch.store_updates.items():
                # The transaction reads the stored values on its one connection: a parallel strategy reads
                # their pages ahead (``_reads``); the others read nothing here.
                self._reads.read_ahead(
                    "SELECT key FROM store_keys WHERE job_id = ? AND scope = ?",
                    list(updates),
                    (self.job_id, mapping_key),
                    "key",
                )
            with self._engine.begin() as conn:
                started = self._fence(conn)
                Writer(self._sql, conn, self.job_id).batch(batch)
            self._confirmed(started)
        except SQLAlchemyError as exc:
            raise StateError(f"cannot write the state database {self.url}: {exc}") from exc

    def reset(self, what: set[str]) -> None:
        """Clear parts of the state: any of watermarks, datastore, links, escrows, staged, intents, status,
        logs. Restarts never clear intents: each stands for an object that may exist in the target."""
        unknown = set(what) - set(_RESETS)
        if unknown:
            raise ValueError(f"cannot reset {sorted(unknown)}: choose from {sorted(_RESETS)}")
        with self._engine.begin() as conn:
            started = self._fence(conn)
            for name in sorted(what):
                table = _RESETS[name]
                self._sql.run(conn, f"DELETE FROM {table} WHERE job_id = ?", (self.job_id,))
                if name in ("links", "datastore"):
                    self._sql.run(
                        conn, "DELETE FROM counts WHERE job_id = ? AND kind = ?", (self.job_id, name)
                    )
                if name == "links":
                    self._sql.run(conn, "DELETE FROM ref_waits WHERE job_id = ?", (self.job_id,))
        self._confirmed(started)
