"""Writing one ``Batch`` inside the caller's transaction (``StateStore.commit``): statements from
``_sql``, rows as tuples, so the cost is the database's, not per-row SQLAlchemy work.

Besides the rows themselves it keeps two derived things consistent in the same transaction:

* references (``_schema`` version 2): a link gets ``ref_state`` DIRTY when the objects phase writes
  it with pending references, WAITING (with its ``ref_waits`` rows: every source id its pending references
  name) when the references phase leaves it unresolved. Resolving depends on nothing but which of those
  ids are linked and to what, so the WAITING links that name a source id the batch links anew, links to
  another target object or unlinks become DIRTY; any other WAITING link would resolve exactly as before.
  ``ref_waits`` rows of a link are replaced whenever the references phase writes it and removed with the
  link, so a link that is not WAITING may keep stale rows until then; they are harmless (only WAITING
  links are woken).
* ``counts``: links and data-store keys per mapping, so that counting them never reads a whole table.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Connection

from ._schema import DIRTY, WAITING
from ._sql import Sql, chunks, marks
from ._types import LINK_COLUMNS, Batch, Link, encode_record, encode_record_utf8, iso, iso_text

__all__ = ["Writer", "dumps"]

_LINK_COLUMNS = ("job_id", "scope", *LINK_COLUMNS, "ref_state")
_LINK_JSON = ("essence", "pending_refs")
_JOURNAL = ("job_id", "scope", "source_id", "recorded", "data")


def dumps(value: Any) -> str:
    return encode_record(value)


def _ref_state(link: Link, waits: frozenset[str] | None) -> int | None:
    if link.pending_refs is None:
        return None
    return WAITING if waits else DIRTY  # an objects-phase write (None) is always dirty


class Writer:
    """The writes of one job in one transaction."""

    def __init__(self, sql: Sql, conn: Connection, job_id: str) -> None:
        self.sql, self.conn, self.job = sql, conn, job_id

    def batch(self, batch: Batch) -> None:
        moved: set[str] = set()  # source ids linked, relinked to another object or unlinked
        for mapping_key, links in batch.links.items():
            moved.update(self._links(mapping_key, links, batch.waiting_on.get(mapping_key, {})))
        for mapping_key, ids in batch.unlinked.items():
            if self.unlink(mapping_key, sorted(ids)):
                moved.update(ids)
        self._wake(moved)
        for mapping_key, escrows in batch.escrows.items():
            self.upsert(
                "escrows",
                (
                    "job_id",
                    "scope",
                    "source_id",
                    "attempts",
                    "first_failure",
                    "next_attempt",
                    "code",
                    "message",
                ),
                [(self.job, mapping_key, *e.row()) for e in escrows.values()],
            )
        for mapping_key, ids in batch.cleared_escrows.items():
            self.delete_ids("escrows", mapping_key, sorted(ids - set(batch.escrows.get(mapping_key, {}))))
        for mapping_key, staged in batch.staged.items():
            rows = [(self.job, mapping_key, *s.row()) for s in staged.values()]
            self.upsert("staged", ("job_id", "scope", "source_id", "data"), rows)
        for mapping_key, ids in batch.unstaged.items():
            self.delete_ids("staged", mapping_key, sorted(ids))
        for mapping_key, ids in batch.cleared_intents.items():
            self.delete_ids("intents", mapping_key, sorted(ids))
        for mapping_key, ids in batch.cleared_exports.items():
            self.delete_ids("exports", mapping_key, sorted(ids))
        for mapping_key, exports in batch.exports.items():
            self.journal("exports", mapping_key, [e.row(self.sql.utf8) for e in exports.values()])
        for mapping_key, updates in batch.store_updates.items():
            self.store(mapping_key, updates)
        for mapping_key, watermark in batch.watermarks.items():
            row = (self.job, mapping_key, dumps(watermark.to_json()))
            self.upsert("watermarks", ("job_id", "scope", "value"), [row], keys=2)
        self._records(batch)

    def upsert(
        self, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]], keys: int = 3
    ) -> None:
        self.sql.upsert(self.conn, table, columns, keys, rows)

    def journal(self, table: str, mapping_key: str, rows: Sequence[tuple[Any, ...]]) -> None:
        """Rows of ``intents`` or ``exports`` (``Intent.row`` / ``PendingExport.row``, given ``Sql.utf8``)."""
        rows = [(self.job, mapping_key, *row) for row in rows]
        self.sql.upsert(self.conn, table, _JOURNAL, 3, rows, self.sql.cast(("data",)))

    # --- links and references --------------------------------------------------------------------------

    def _links(
        self, mapping_key: str, links: Mapping[str, Link], waiting: Mapping[str, frozenset[str]]
    ) -> set[str]:
        """Write the links; returns the ids the objects phase linked anew or to another target object (the
        resolution of references to them changes, so the links waiting on them wake).

        The links' current target and reference state are read first, so each row is written by the
        cheapest statement: an insert, an update of the essence alone (the common case: no indexed
        column is set, so no index page is rewritten), or a full update."""
        before = self._states(mapping_key, list(links))
        new: list[tuple[Any, ...]] = []
        plain: list[tuple[Any, ...]] = []
        full: list[tuple[Any, ...]] = []
        utf8 = self.sql.utf8
        for sid, link in links.items():
            _, target, essence, pending, disabled = link.row(utf8)
            state = _ref_state(link, waiting.get(sid))
            old = before.get(sid)
            if old is None:
                new.append((self.job, mapping_key, sid, target, essence, pending, disabled, state))
            elif old == (target, state):
                plain.append((essence, pending, disabled, self.job, mapping_key, sid))
            else:
                full.append((target, essence, pending, disabled, state, self.job, mapping_key, sid))
        self.sql.insert(self.conn, "object_links", _LINK_COLUMNS, new, self.sql.cast(_LINK_JSON))
        where = "WHERE job_id = ? AND scope = ? AND source_id = ?"
        mark = self.sql.mark()
        columns = f"essence = {mark}, pending_refs = {mark}, disabled = ?"
        self.sql.run_many(self.conn, f"UPDATE object_links SET {columns} {where}", plain)
        self.sql.run_many(
            self.conn, f"UPDATE object_links SET target_id = ?, {columns}, ref_state = ? {where}", full
        )
        self.count("links", mapping_key, len(new))
        self._replace_waits(mapping_key, links, waiting)
        return {
            sid for sid in links if sid not in waiting and before.get(sid, (None,))[0] != links[sid].target_id
        }

    def _replace_waits(
        self, mapping_key: str, links: Mapping[str, Link], waiting: Mapping[str, frozenset[str]]
    ) -> None:
        settled = sorted(waiting)
        if not settled:
            return
        self._delete_waits(mapping_key, settled)
        waits = [
            (self.job, mapping_key, sid, wanted)
            for sid in settled
            if _ref_state(links[sid], waiting[sid]) == WAITING
            for wanted in sorted(waiting[sid])
        ]
        self.sql.insert(self.conn, "ref_waits", ("job_id", "scope", "source_id", "wanted"), waits)

    def _states(self, mapping_key: str, ids: Sequence[str]) -> dict[str, tuple[str, int | None]]:
        """Source id -> (target id, reference state) of the links these ids have now."""
        found: dict[str, tuple[str, int | None]] = {}
        for chunk in chunks(ids):
            query = (
                "SELECT source_id, target_id, ref_state FROM object_links WHERE job_id = ? AND scope = ? "
                f"AND source_id IN ({marks(len(chunk))})"
            )
            rows = self.sql.query(self.conn, query, (self.job, mapping_key, *chunk))
            found.update((r[0], (r[1], None if r[2] is None else int(r[2]))) for r in rows)
        return found

    def _pairs(self, select: str, mapping_key: str, ids: Sequence[str]) -> dict[str, str]:
        """``select`` (two columns, ending with the key column) ``IN (ids)``, as a dict, a chunk at a time."""
        found: dict[str, str] = {}
        for chunk in chunks(ids):
            query = f"{select} IN ({marks(len(chunk))})"
            params = (self.job, mapping_key, *chunk)
            found.update((r[0], r[1]) for r in self.sql.query(self.conn, query, params))
        return found

    def _wake(self, moved: set[str]) -> None:
        """The WAITING links that wait on these source ids become DIRTY."""
        ids = sorted(moved)
        woken: set[tuple[str, str]] = set()
        for chunk in chunks(ids):
            query = (
                f"SELECT scope, source_id FROM ref_waits WHERE job_id = ? AND wanted IN ({marks(len(chunk))})"
            )
            woken.update((row[0], row[1]) for row in self.sql.query(self.conn, query, (self.job, *chunk)))
        update = (
            "UPDATE object_links SET ref_state = ? "
            "WHERE job_id = ? AND scope = ? AND source_id = ? AND ref_state = ?"
        )
        self.sql.run_many(self.conn, update, [(DIRTY, self.job, s, i, WAITING) for s, i in sorted(woken)])

    def _delete_waits(self, mapping_key: str, ids: Sequence[str]) -> None:
        sql = "DELETE FROM ref_waits WHERE job_id = ? AND scope = ? AND source_id = ?"
        self.sql.run_many(self.conn, sql, [(self.job, mapping_key, i) for i in ids])

    def unlink(self, mapping_key: str, ids: Sequence[str]) -> int:
        """Remove these links (and what they waited on); returns how many there were."""
        removed = self.delete_ids("object_links", mapping_key, ids)
        self.count("links", mapping_key, -removed)
        self._delete_waits(mapping_key, ids)
        return removed

    # --- the rest ---------------------------------------------------------------------------------------

    def delete_ids(self, table: str, mapping_key: str, ids: Sequence[str], column: str = "source_id") -> int:
        """Delete the rows of these ids; returns how many there were."""
        deleted = 0
        for chunk in chunks(ids):
            sql = f"DELETE FROM {table} WHERE job_id = ? AND scope = ? AND {column} IN ({marks(len(chunk))})"
            deleted += max(self.sql.run(self.conn, sql, (self.job, mapping_key, *chunk)).rowcount, 0)
        return deleted

    def count(self, kind: str, mapping_key: str, delta: int) -> None:
        if delta == 0:
            return
        if self.sql.upserts:  # one statement, and no race between two first writers of a mapping
            upsert = (
                "INSERT INTO counts (job_id, kind, scope, n) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (job_id, kind, scope) DO UPDATE SET n = counts.n + excluded.n"
            )
            self.sql.run(self.conn, upsert, (self.job, kind, mapping_key, delta))
            return
        update = "UPDATE counts SET n = n + ? WHERE job_id = ? AND kind = ? AND scope = ?"
        if self.sql.run(self.conn, update, (delta, self.job, kind, mapping_key)).rowcount == 0:
            self.sql.insert(
                self.conn, "counts", ("job_id", "kind", "scope", "n"), [(self.job, kind, mapping_key, delta)]
            )

    def store(self, mapping_key: str, updates: Mapping[str, str | None]) -> None:
        """Data-store updates (None removes a key). The stored values are read first and only what differs
        is written: a source that marks every delivered id (``sql`` beside a change column) mostly sends
        values already there, and reading a row costs far less than rewriting its pages."""
        stored = self._stored(mapping_key, list(updates))
        gone = [k for k, v in updates.items() if v is None and k in stored]
        new = [(self.job, mapping_key, k, v) for k, v in updates.items() if v is not None and k not in stored]
        changed = [
            (v, self.job, mapping_key, k)
            for k, v in updates.items()
            if v is not None and stored.get(k, v) != v
        ]
        self.delete_ids("store_keys", mapping_key, gone, column="key")
        self.sql.insert(self.conn, "store_keys", ("job_id", "scope", "key", "value"), new)
        update = "UPDATE store_keys SET value = ? WHERE job_id = ? AND scope = ? AND key = ?"
        self.sql.run_many(self.conn, update, changed)
        self.count("datastore", mapping_key, len(new) - len(gone))

    def _stored(self, mapping_key: str, keys: Sequence[str]) -> dict[str, str]:
        return self._pairs(
            "SELECT key, value FROM store_keys WHERE job_id = ? AND scope = ? AND key", mapping_key, keys
        )

    def _records(self, batch: Batch) -> None:
        if batch.logs:
            columns = ("id", "job_id", "cycle_id", "activity", "action", "status", "source_id", "data")
            seen: dict[str, str] = {}  # a page's records mostly share one time
            encode = encode_record_utf8 if self.sql.utf8 else encode_record
            rows = [self._log_row(r, seen, encode) for r in batch.logs]
            self.sql.insert(self.conn, "provisioning_log", columns, rows, self.sql.cast(("data",)))
        if batch.cycle is not None:
            began = iso(datetime.fromisoformat(batch.cycle["timeBegan"]))
            row = (batch.cycle["id"], self.job, began, dumps(batch.cycle))
            self.upsert("cycles", ("id", "job_id", "began", "data"), [row], keys=1)
        if batch.status is not None:
            self.upsert("job_status", ("job_id", "data"), [(self.job, dumps(batch.status))], keys=1)

    def _log_row(
        self, record: Mapping[str, Any], seen: dict[str, str], encode: Callable[[Any], str | bytes]
    ) -> tuple[Any, ...]:
        return (
            record["id"],
            self.job,
            record.get("cycleId"),
            iso_text(record["activityDateTime"], seen),
            record.get("provisioningAction", "other"),
            record.get("status", "success"),
            record.get("sourceId"),
            encode(record),
        )
