"""The sync state database and ``StateStore`` over it: storage only (no sync rule lives here).

What is kept, per job (``job_id`` column everywhere, so several jobs can share one database):

* ``watermarks``  – where each object mapping's source read got to (a ``connectors.Watermark``);
* ``object_links`` – source anchor ↔ target id per object mapping, with the last exported values (the
  "essence", versioned JSON), references still waiting for their target (decision 9) and a disabled flag;
  ``ref_waits`` says which source ids a waiting link's references name;
* ``store_keys``  – the connector data store (per-object fingerprints of sources without change tracking);
* ``counts``      – links and data-store keys per mapping (kept with every write: counting never scans);
* ``escrows``     – objects whose last attempt failed, with the next retry time (spec §D.6);
* ``staged``      – removals held back by the accidental-deletion guard (spec §D.5);
* ``intents``     – creates journaled before their export and not yet linked;
* ``exports``     – updates, disables and reference updates journaled before their export and not yet
  confirmed (a crash between the two leaves them: the next cycle re-sends what they may have changed);
* ``job_status``  – status, quarantine, counters (Graph synchronizationStatus, as JSON), written by cycles;
* ``job_control`` – operator controls (paused, force deletes, quarantine lifts, stop requests), written by
  operators from any process and only read by cycles (``_control``);
* ``job_schedule`` – a worker fleet's schedule: each job's next run and the worker running it (``_schedule``);
* ``job_schema``  – a schema replaced through the API;
* ``job_leases``  – one writer per job: who holds the job's lease, its fencing epoch, until when
  (``_lease``: every write of a store holding the lease checks it in its transaction);
* ``cycles``      – cycle history with counts per object type;
* ``provisioning_log`` – records in Graph's provisioningObjectSummary shape.

The schema is versioned (``_schema``); an older database is upgraded when opened, a newer one is refused.
All writes of one page go through one ``Batch`` committed in one transaction: links, essences, escrows, data
store, watermark and log records land together or not at all, so a process killed at any point loses and
duplicates nothing. Hot reads and writes are driver SQL with tuples (``_sql``): no per-row SQLAlchemy work.
This package and ``connectors.sql`` are the only ones that import SQLAlchemy.

References (spec §D.7, DESIGN decision 9) cost what changes, not the directory: the references phase reads
only *dirty* links (``StateStore.iter_dirty_links``): those the objects phase wrote with pending references,
and waiting ones that name a source id a page has since linked, relinked or unlinked (woken in that page's
transaction, see ``_writes``). Counting links and data-store keys reads kept counts.

How lists of ids are read (on the calling thread, or in parallel key ranges with a read-ahead before each
commit) is chosen once when a store opens, from its ``parallel_reads`` setting (``PARALLEL_READS``) and
the database: ``_reads`` is the one home of those strategies.

Modules: ``_store`` (``StateStore``), ``_open`` (engine, tables, version check), ``_reads`` (read
strategies), ``_writes`` (a ``Batch`` in a transaction), ``_schema`` (tables, upgrades), ``_sql`` (driver
SQL), ``_types`` (``Link``, ``Batch`` and the other plain values).
"""

from __future__ import annotations

from ._control import Control
from ._lease import DEFAULT_LEASE_SECONDS, Lease, set_holder_label
from ._open import POOL_OVERFLOW_ENV, POOL_SIZE_ENV
from ._reads import PARALLEL_READS, ParallelReadsSetting
from ._schedule import Schedule, now_ms
from ._schema import SCHEMA_VERSION, get_table_definitions
from ._store import StateStore
from ._types import (
    Batch,
    EscrowRow,
    Fenced,
    Intent,
    JobBusy,
    Link,
    PendingExport,
    StagedRemoval,
    StateError,
    iso,
)

__all__ = [
    "DEFAULT_LEASE_SECONDS",
    "PARALLEL_READS",
    "POOL_OVERFLOW_ENV",
    "POOL_SIZE_ENV",
    "SCHEMA_VERSION",
    "Batch",
    "Control",
    "EscrowRow",
    "Fenced",
    "Intent",
    "JobBusy",
    "Lease",
    "Link",
    "ParallelReadsSetting",
    "PendingExport",
    "Schedule",
    "StagedRemoval",
    "StateError",
    "StateStore",
    "get_table_definitions",
    "iso",
    "now_ms",
    "set_holder_label",
]
