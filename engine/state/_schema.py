"""The state database's tables (SQLAlchemy Core, declared in one place) and the upgrade of older databases.

Schema versions (``idsync_metadata.schema_version``):

1. the first release;
2. references are followed by what can change them (``engine.state``): a link's ``ref_state`` says whether
   its pending references are *dirty* (to process in the next references phase) or *waiting* (on the
   source ids listed in ``ref_waits``); ``counts`` keeps the number of links and data-store keys per
   mapping so a cycle never counts whole tables;
3. the connector data store moves to ``store_keys``, a ``WITHOUT ROWID`` table on SQLite: a lookup by key
   walks one b-tree instead of an index and then the table, and the table is half the size;
4. the links move to ``object_links`` (a build of this version made it ``WITHOUT ROWID`` too; that layout
   is slower to fill in random key order, as every cycle does, so it is a rowid table again -- both
   layouts answer the same statements);
5. the index of pending links (``ix_object_links_refs``) is partial (``ref_state IS NOT NULL``): an update
   of a link with nothing pending no longer rewrites an index page at a random place;
6. ``ix_object_links_targets`` (job, mapping, source id, target id) covers the lookups that need no
   essence: translating references reads one narrow b-tree instead of the key index and the table.

An older database is upgraded when opened: pending links become dirty once (the next references phase
sorts them into resolved and waiting), the counts are taken once, the rows of ``datastore`` and ``links``
are copied and the old tables dropped (after a statement that changes rows, so on SQLite as on PostgreSQL
the copy and the drop commit together); every step is idempotent, so an upgrade interrupted half-way is
finished by the next open. Copying is proportional to the state, once.

Datetimes are ISO-8601 text with their offset (SQLite drops tzinfo otherwise); the store converts them.
The ``scope`` column of every table holds the object mapping's key (``mapping_key`` in the code; the column
keeps its first name, which renaming would cost every existing database a table copy).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    inspect,
    text,
)
from sqlalchemy.engine import Connection

__all__ = ["DIRTY", "SCHEMA_VERSION", "WAITING", "get_table_definitions", "upgrade"]

SCHEMA_VERSION = 6
DIRTY = 1
"""``object_links.ref_state``: pending references to process in the next references phase."""
WAITING = 2
"""``object_links.ref_state``: pending references waiting on unlinked source ids (rows of ``ref_waits``)."""

_PENDING = text("ref_state IS NOT NULL")
_ISO = String(40)  # a timezone-aware datetime as ISO-8601 text


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
        Column("replaced", _ISO, nullable=False),
        Column("data", Text, nullable=False),
    )
    Table(
        "watermarks",
        md,
        Column("job_id", String(200), primary_key=True),
        Column("scope", String(400), primary_key=True),
        Column("value", Text, nullable=False),
    )
    Table(  # the connector data store; on SQLite one b-tree (small rows, looked up by key only)
        "store_keys",
        md,
        Column("job_id", String(200), primary_key=True),
        Column("scope", String(400), primary_key=True),
        Column("key", String(400), primary_key=True),
        Column("value", Text, nullable=False),
        sqlite_with_rowid=False,
    )
    Table(  # one writer per job (``_lease``): who holds the job, its fencing epoch, until when (epoch ms)
        "job_leases",
        md,
        Column("job_id", String(200), primary_key=True),
        Column("holder", String(200), nullable=False),
        Column("epoch", BigInteger, nullable=False),
        Column("expires", BigInteger, nullable=False),
    )
    Table(  # operator controls (``_control``): written by operators, only read by cycles
        "job_control",
        md,
        Column("job_id", String(200), primary_key=True),
        Column("seq", BigInteger, nullable=False),
        Column("paused", Boolean, nullable=False),
        Column("force_seq", BigInteger, nullable=False),
        Column("lift_seq", BigInteger, nullable=False),
        Column("stop_seq", BigInteger, nullable=False),
        Column("changed", _ISO, nullable=False),
    )
    Table(  # a worker fleet's schedule (``_schedule``): when each job's next cycle is due (epoch ms)
        "job_schedule",
        md,
        Column("job_key", String(400), primary_key=True),
        Column("interval_ms", BigInteger, nullable=False),
        Column("next_run", BigInteger, nullable=False),
        Column("running_on", String(200)),
    )
    Table(  # a target's shared rate limit (``_rates``): the moment its next request may go (epoch µs)
        "target_rates",
        md,
        Column("target_key", String(400), primary_key=True),
        Column("next_at", BigInteger, nullable=False),
    )
    _link_tables(md)
    _object_tables(md)
    _record_tables(md)
    return md


def _link_tables(md: MetaData) -> None:
    Table(  # a rowid table: WITHOUT ROWID is slower to fill in random key order
        "object_links",
        md,
        Column("job_id", String(200), primary_key=True),
        Column("scope", String(400), primary_key=True),
        Column("source_id", String(400), primary_key=True),
        Column("target_id", String(400), nullable=False),
        Column("essence", Text, nullable=False),
        Column("pending_refs", Text),
        Column("disabled", Boolean, nullable=False, default=False),
        Column("ref_state", Integer),  # NULL (nothing pending), DIRTY or WAITING
        # Covering for the lookups that need no essence (translating references, the ids a full read did
        # not see, what a page relinks): one narrow b-tree instead of the key index and then the table.
        Index("ix_object_links_targets", "job_id", "scope", "source_id", "target_id"),
        Index(  # partial: rewriting a link with nothing pending leaves the index alone
            "ix_object_links_refs",
            "job_id",
            "scope",
            "ref_state",
            "source_id",
            sqlite_where=_PENDING,
            postgresql_where=_PENDING,
        ),
    )
    Table(  # which unlinked source ids a WAITING link waits on (any mapping may link them)
        "ref_waits",
        md,
        Column("job_id", String(200), primary_key=True),
        Column("scope", String(400), primary_key=True),
        Column("source_id", String(400), primary_key=True),
        Column("wanted", String(400), primary_key=True),
        Index("ix_ref_waits_wanted", "job_id", "wanted", "scope", "source_id"),  # covering: no table read
    )
    Table(  # rows per mapping of ``object_links`` (kind "links") and ``store_keys`` (kind "datastore")
        "counts",
        md,
        Column("job_id", String(200), primary_key=True),
        Column("kind", String(20), primary_key=True),
        Column("scope", String(400), primary_key=True),
        Column("n", Integer, nullable=False),
    )


def _per_object(name: str, md: MetaData, *columns: Column[Any]) -> Table:
    """A table of one row per object of a mapping: keyed by job, mapping (``scope``) and source id."""
    return Table(
        name,
        md,
        Column("job_id", String(200), primary_key=True),
        Column("scope", String(400), primary_key=True),
        Column("source_id", String(400), primary_key=True),
        *columns,
    )


def _object_tables(md: MetaData) -> None:
    _per_object(
        "escrows",
        md,
        Column("attempts", Integer, nullable=False),
        Column("first_failure", _ISO, nullable=False),
        Column("next_attempt", _ISO, nullable=False),
        Column("code", String(200), nullable=False),
        Column("message", Text, nullable=False),
    )
    _per_object("staged", md, Column("data", Text, nullable=False))
    # updates, disables and reference updates about to be exported (``_types.PendingExport``), creates about
    # to be exported (``_types.Intent``): tables added later, created in older databases by ``create_all``
    for journal in ("exports", "intents"):
        recorded, data = Column("recorded", _ISO, nullable=False), Column("data", Text, nullable=False)
        _per_object(journal, md, recorded, data)


def _record_tables(md: MetaData) -> None:
    Table(
        "cycles",
        md,
        Column("id", String(64), primary_key=True),
        Column("job_id", String(200), nullable=False, index=True),
        Column("began", _ISO, nullable=False),
        Column("data", Text, nullable=False),
    )
    Table(
        "provisioning_log",
        md,
        Column("seq", Integer, primary_key=True, autoincrement=True),
        Column("id", String(64), nullable=False),
        Column("job_id", String(200), nullable=False),
        Column("cycle_id", String(64)),
        Column("activity", _ISO, nullable=False),
        Column("action", String(32), nullable=False),
        Column("status", String(32), nullable=False),
        Column("source_id", String(400)),
        Column("data", Text, nullable=False),
        Index("ix_log_job_seq", "job_id", "seq"),
    )


def upgrade(conn: Connection, version: int) -> None:
    """Bring a database of schema ``version`` (older than ``SCHEMA_VERSION``) up to date, in ``conn``'s
    transaction. ``create_all`` has already added the tables that did not exist (with their indexes), but
    changes no existing table."""
    if version < 2:
        _to_2(conn)
    _move(conn, "datastore", "store_keys", ("job_id", "scope", "key", "value"))  # version 3
    columns = (
        "job_id",
        "scope",
        "source_id",
        "target_id",
        "essence",
        "pending_refs",
        "disabled",
        "ref_state",
    )
    _move(conn, "links", "object_links", columns)  # version 4
    if version < 2:
        _count(conn)
    if version < 5:  # the index of pending links becomes partial, the one of waits covering
        conn.execute(text("DROP INDEX IF EXISTS ix_ref_waits_wanted"))
        conn.execute(text("CREATE INDEX ix_ref_waits_wanted ON ref_waits (job_id, wanted, scope, source_id)"))
        conn.execute(text("DROP INDEX IF EXISTS ix_object_links_refs"))
        conn.execute(
            text(
                "CREATE INDEX ix_object_links_refs ON object_links (job_id, scope, ref_state, source_id) "
                "WHERE ref_state IS NOT NULL"
            )
        )

    if version < 6:
        conn.execute(text("DROP INDEX IF EXISTS ix_object_links_ids"))  # a build of version 5 had it
        conn.execute(
            text(
                "CREATE INDEX IF NOT EXISTS ix_object_links_targets "
                "ON object_links (job_id, scope, source_id, target_id)"
            )
        )


def _to_2(conn: Connection) -> None:
    if not inspect(conn).has_table("links"):
        return  # moved already (version 4), or the database never had links
    columns = {c["name"] for c in inspect(conn).get_columns("links")}
    if "ref_state" not in columns:
        conn.execute(text("ALTER TABLE links ADD COLUMN ref_state INTEGER"))
    conn.execute(text("UPDATE links SET ref_state = :dirty WHERE pending_refs IS NOT NULL"), {"dirty": DIRTY})


def _move(conn: Connection, old: str, new: str, columns: tuple[str, ...]) -> None:
    """Copy every row of table ``old`` into ``new`` and drop ``old`` (nothing when ``old`` is gone)."""
    if not inspect(conn).has_table(old):
        return
    names = ", ".join(columns)
    conn.execute(text(f"DELETE FROM {new}"))  # opens the transaction the copy and the drop share
    conn.execute(text(f"INSERT INTO {new} ({names}) SELECT {names} FROM {old}"))
    conn.execute(text(f"DROP TABLE {old}"))


def _count(conn: Connection) -> None:
    conn.execute(text("DELETE FROM counts"))
    for kind, table in (("links", "object_links"), ("datastore", "store_keys")):
        conn.execute(
            text(
                f"INSERT INTO counts (job_id, kind, scope, n) "
                f"SELECT job_id, '{kind}', scope, COUNT(*) FROM {table} GROUP BY job_id, scope"
            )
        )
