"""Where the driver's work goes: ``ApplySink`` (a cycle: export, journal, commit) or ``PreviewSink`` (a
dry-run, ``_preview``: the same steps collected into a ``Plan``, nothing written).

The driver (``_driver``) reads the state only through ``sink.state``, reads the target only through
``sink.find``, and writes only through the sink: the journal of creates, the exports, the log, and one
``Batch`` per page. ``ApplySink`` hands each to the connectors and the state store; the preview answers
every read as if its own batches had been committed, so the same driver code decides the same way.
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from collections.abc import Container, Iterable, Iterator, Sequence
from datetime import datetime
from typing import Protocol

from connectors import ApplyResult, DataStore, Watermark

from ..job import rate_limits
from ..plan import CompiledMapping, FindLookup, PlannedObject, PlannedOperation, Reason, journal_values
from ..state import Batch, EscrowRow, Intent, Link, PendingExport, StagedRemoval, StateStore
from ._context import CycleContext
from ._export import Exporter
from ._records import LogContext, log_record


class StateReads(Protocol):
    """The state reads of a cycle (``StateStore`` has them; the preview overlays its own writes on them)."""

    def watermark(self, mapping_key: str) -> Watermark | None: ...
    def links(self, mapping_key: str, source_ids: Iterable[str]) -> dict[str, Link]: ...
    def target_ids(self, mapping_keys: Sequence[str], source_ids: Iterable[str]) -> dict[str, str]: ...
    def iter_links(self, mapping_key: str, *, skip: Container[str] | None = None) -> Iterator[list[Link]]: ...
    def iter_dirty_links(self, mapping_key: str) -> Iterator[list[Link]]: ...
    def escrows(self, mapping_key: str, source_ids: Iterable[str]) -> dict[str, EscrowRow]: ...
    def due_escrows(self, mapping_key: str, now: datetime) -> list[EscrowRow]: ...
    def count_escrows(self) -> int: ...
    def iter_staged(self, mapping_key: str) -> Iterator[list[StagedRemoval]]: ...
    def count_staged(self) -> int: ...
    def intents(self, mapping_key: str) -> list[Intent]: ...
    def count_intents(self) -> int: ...
    def linked_targets(self, mapping_key: str, target_ids: Iterable[str]) -> set[str]: ...
    def links_by_target(self, mapping_key: str, target_ids: Iterable[str]) -> list[Link]: ...


class Sink(ABC):
    """The side effects of one run of the driver."""

    state: StateReads
    exported: bool
    """Whether operations are exported (then they carry connector modifications and the essence to keep)."""

    @abstractmethod
    def find(self, mapping: CompiledMapping) -> FindLookup:
        """Target objects by attribute value, for matching, SelectUniqueValue and the create journal."""

    @abstractmethod
    def source_store(self, mapping: CompiledMapping, *, full: bool) -> DataStore | None:
        """The connector data store a source read of ``mapping`` uses."""

    @abstractmethod
    def journal_writes(
        self,
        mapping: CompiledMapping,
        creates: Sequence[PlannedObject],
        others: Sequence[PlannedOperation],
        now: datetime,
        *,
        renamed: Sequence[Intent] = (),
    ) -> bool:
        """Journal creates (``Intent``) and the other writes about to be exported -- updates, disables,
        reference updates (``PendingExport``) -- before their export; True when creates were journaled
        (their intents are to be cleared). ``renamed``: intents of a crash's copies about to be updated in
        place, journaled again with their new matching values (``Driver._reuse_uncommitted``)."""

    @abstractmethod
    def pending_exports(self, mapping_key: str) -> list[PendingExport]:
        """Exports of a mapping a crash left unconfirmed (the cycle re-sends what they may have changed)."""

    @abstractmethod
    def export(self, mapping: CompiledMapping, ops: Sequence[PlannedOperation]) -> list[ApplyResult]:
        """Write ``ops`` to the target; one result per operation, in order."""

    @abstractmethod
    def log(
        self,
        batch: Batch,
        log: LogContext,
        op: PlannedOperation,
        status: str,
        *,
        target_id: str | None = None,
        error: str | None = None,
        code: str | None = None,
    ) -> None:
        """An operation done (success), skipped or failed, as the provisioning log records it."""

    @abstractmethod
    def held(self, batch: Batch, log: LogContext, op: PlannedOperation, *, first: bool) -> None:
        """A removal the guard holds (``op`` is its STAGED_DELETE); ``first``: held for the first time (the
        log records a held removal once; a plan shows every one)."""

    @abstractmethod
    def unchanged(self, op: PlannedOperation) -> None:
        """An object whose target already holds its values (nothing is logged)."""

    @abstractmethod
    def commit(self, batch: Batch) -> None:
        """One page's state writes, all or nothing."""


class _StoreView:
    """The connector data store of one mapping, read through the state store."""

    def __init__(self, store: StateStore, key: str) -> None:
        self.store, self.key = store, key

    def get_many(self, keys: Iterable[str]) -> dict[str, str]:
        return self.store.datastore_get(self.key, keys)

    def keys(self) -> Iterator[str]:
        return self.store.datastore_keys(self.key)

    def count(self) -> int:
        return self.store.datastore_count(self.key)


class ApplySink(Sink):
    """A cycle: creates journaled, operations exported, batches committed, records logged."""

    exported = True

    def __init__(self, ctx: CycleContext) -> None:
        self.ctx = ctx
        self.store = ctx.store
        self.state = ctx.store
        self._exporters: dict[str, Exporter] = {}
        self._limits = rate_limits(ctx.job)

    def find(self, mapping: CompiledMapping) -> FindLookup:
        return self.ctx.connectors[mapping.target_directory].find

    def source_store(self, mapping: CompiledMapping, *, full: bool) -> DataStore | None:
        return _StoreView(self.store, mapping.key)

    def journal_writes(
        self,
        mapping: CompiledMapping,
        creates: Sequence[PlannedObject],
        others: Sequence[PlannedOperation],
        now: datetime,
        *,
        renamed: Sequence[Intent] = (),
    ) -> bool:
        """Creates' intents and the other exports' attributes, in one committed transaction."""
        exports = [
            PendingExport(op.source_id, tuple(dict.fromkeys(m.name for m in op.modifications)), now)
            for op in others
            if op.modifications
        ]
        if not creates and not exports and not renamed:
            return False
        intents = [Intent(p.source.id, journal_values(p), now) for p in creates] + list(renamed)
        self.store.record_intents(mapping.key, intents, exports)
        return bool(creates)

    def pending_exports(self, mapping_key: str) -> list[PendingExport]:
        return self.store.pending_exports(mapping_key)

    def export(self, mapping: CompiledMapping, ops: Sequence[PlannedOperation]) -> list[ApplyResult]:
        """``ops`` written to the target; under the target's ``rateLimit``, a second's worth at a time, each
        part once the limit shared through the state database lets it go."""
        exporter = self._exporters.get(mapping.key)
        if exporter is None:
            exporter = self._exporters[mapping.key] = self.ctx.exporter(mapping)
        limit = self._limits.get(mapping.target_directory)
        if limit is None or not ops:
            return exporter.apply(ops)
        key, rate = limit
        step = max(1, int(rate))
        sleep = self.ctx.sleep or time.sleep
        results: list[ApplyResult] = []
        for start in range(0, len(ops), step):
            part = ops[start : start + step]
            wait = self.store.rate_wait(key, rate, len(part))
            if wait > 0:
                sleep(wait)
            results += exporter.apply(part)
        return results

    def log(
        self,
        batch: Batch,
        log: LogContext,
        op: PlannedOperation,
        status: str,
        *,
        target_id: str | None = None,
        error: str | None = None,
        code: str | None = None,
    ) -> None:
        record = log_record(
            log, op, when=self.ctx.now, status=status, target_id=target_id, error=error, code=code
        )
        batch.logs.append(record)

    def held(self, batch: Batch, log: LogContext, op: PlannedOperation, *, first: bool) -> None:
        if first:  # earlier cycles logged theirs already
            self.log(batch, log, op, "skipped", code=Reason.TOO_MANY_DELETES)

    def unchanged(self, op: PlannedOperation) -> None:
        pass

    def commit(self, batch: Batch) -> None:
        self.store.commit(batch)
