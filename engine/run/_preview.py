"""The dry-run's sink: the cycle's own steps, collected into a ``Plan``; nothing is written anywhere.

``PreviewSink`` exports nothing (every write "succeeds"; a created object's target id reads ``(new <type> for
<source id>)``), journals nothing, and instead of committing a page's ``Batch`` merges it into
``PreviewState``, which answers the driver's state reads as the state store would once those batches were
committed. So the guard
counts the removals this plan stages together with those held before, the intents and unconfirmed exports a
crash left resolve against the links this plan makes (the plan shows the re-sends the cycle will make), and
references resolve against the objects this plan creates — with the driver's code, not a second copy of it.
What the overlay keeps is bounded by what the plan changes.

Two places where a preview cannot know what the cycle will meet: the target never holds the objects the
plan creates (matching and SelectUniqueValue ask the real target; a target that counts no object of a type
as the dry-run starts is not asked at all), and the target never rejects a write.
"""

from __future__ import annotations

import sys
from collections.abc import Container, Iterable, Iterator, Mapping, Sequence
from datetime import datetime

from connectors import ApplyResult, DataStore, DirectoryObject, Watermark

from ..plan import CompiledMapping, FindLookup, PlannedObject, PlannedOperation
from ..state import Batch, EscrowRow, Intent, Link, PendingExport, StagedRemoval, StateStore
from ._context import CycleContext
from ._plan import Plan, PlanSink
from ._records import LogContext
from ._sinks import Sink, _StoreView

_PAGE = 1000


def _nothing(object_type: str, attribute: str, values: Sequence[str]) -> dict[str, list[DirectoryObject]]:
    return {}


class PreviewState:
    """The state store's reads with a preview's batches applied on top (see the module docstring)."""

    def __init__(self, store: StateStore, types: Mapping[str, str]) -> None:
        """``types``: the target object type of each mapping key."""
        self.store = store
        self.keys = list(types)
        self.types = dict(types)
        self.new = {key: sys.intern(_NEW + name) for key, name in types.items()}
        """Per mapping, the kept form of a link to an object this preview creates (``_target``)."""
        # What the store holds when the preview starts decides which reads need asking it at all.
        self.stored_links = bool(store.count_links())
        self.stored_staged = store.count_staged() > 0
        self.stored_escrows = store.count_escrows() > 0
        self.stored_intents = store.count_intents() > 0
        self.stored_exports = store.count_exports() > 0
        self.lean = not (self.stored_escrows or self.stored_intents or self.stored_exports)
        """No object can be planned twice in this run (no escrow to retry, no crash's intent or unconfirmed
        export to resolve): a link is kept as its target id alone unless the references phase reads it
        (dirty), so the overlay of a streamed initial dry-run of a million objects holds no values and no
        tuples. (Without the condition, a retried or re-resolved object would be diffed against nothing.)"""
        self.linked: dict[str, dict[str, Link | str]] = {}
        """This preview's links by mapping and source id; when ``lean``, a clean link is kept as its target id
        alone (``merge``) and made a ``Link`` again when read (``_link``)."""
        self.dirty: dict[str, set[str]] = {}
        self.unlinked: dict[str, set[str]] = {}
        self.moved: set[str] = set()
        """Source ids the objects phase linked or unlinked: the waiting links naming them wake."""
        self.escrow_rows: dict[str, dict[str, EscrowRow]] = {}
        self.cleared_escrows: dict[str, set[str]] = {}
        self.staged: dict[str, dict[str, StagedRemoval]] = {}
        self.unstaged: dict[str, set[str]] = {}
        self.cleared_intents: dict[str, set[str]] = {}
        self.watermarks: dict[str, Watermark] = {}
        self._stored_staged: dict[str, dict[str, StagedRemoval]] = {}

    # --- the batches -----------------------------------------------------------------------------------

    def merge(self, batch: Batch) -> None:
        """Apply ``batch`` as ``StateStore.commit`` would (data-store updates and records have no reader)."""
        for key, links in batch.links.items():
            settled = batch.waiting_on.get(key, {})
            linked, dirty = self.linked.setdefault(key, {}), self.dirty.setdefault(key, set())
            unlinked, new, lean = self.unlinked.get(key), self.new[key], self.lean
            wake = self.moved if self.stored_links else None  # (only stored waiting links wake)
            for sid, link in links.items():
                if unlinked:
                    unlinked.discard(sid)
                waiting = sid in settled
                if waiting or link.pending_refs is None:
                    if dirty:
                        dirty.discard(sid)
                    if lean and not link.disabled:  # kept as its target id alone (a shared marker if new)
                        linked[sid] = link.target_id or new
                    else:
                        linked[sid] = self._whole(key, link, lean)
                else:
                    dirty.add(sid)
                    linked[sid] = self._whole(key, link, False)
                if wake is not None and not waiting:
                    wake.add(sid)
        for key, ids in batch.unlinked.items():
            for sid in ids:
                self.linked.get(key, {}).pop(sid, None)
                self.dirty.get(key, set()).discard(sid)
            self.unlinked.setdefault(key, set()).update(ids)
            if self.stored_links:
                self.moved.update(ids)
        for key, rows in batch.escrows.items():
            self.escrow_rows.setdefault(key, {}).update(rows)
            self.cleared_escrows.get(key, set()).difference_update(rows)
        for key, ids in batch.cleared_escrows.items():
            kept = set(batch.escrows.get(key, {}))
            for sid in ids - kept:
                self.escrow_rows.get(key, {}).pop(sid, None)
            self.cleared_escrows.setdefault(key, set()).update(ids - kept)
        for key, removals in batch.staged.items():
            self.staged.setdefault(key, {}).update(removals)
            self.unstaged.get(key, set()).difference_update(removals)
        for key, ids in batch.unstaged.items():
            for sid in ids:
                self.staged.get(key, {}).pop(sid, None)
            self.unstaged.setdefault(key, set()).update(ids)
        for key, ids in batch.cleared_intents.items():
            self.cleared_intents.setdefault(key, set()).update(ids)
        self.watermarks.update(batch.watermarks)

    def _whole(self, key: str, link: Link, lean: bool) -> Link:
        """``link`` as kept whole: its target id spelled out when this preview creates the object (its
        export gave none); without its essence when ``lean`` (a disabled link: the flag is read)."""
        target = link.target_id or f"(new {self.types[key]} for {link.source_id})"
        if lean:
            return Link(link.source_id, target, disabled=True)
        return link if link.target_id else link._replace(target_id=target)

    # --- the reads -------------------------------------------------------------------------------------

    def watermark(self, mapping_key: str) -> Watermark | None:
        return self.watermarks.get(mapping_key) or self.store.watermark(mapping_key)

    def _overlay(self, key: str, found: dict[str, Link], ids: Iterable[str]) -> dict[str, Link]:
        """``found`` (stored links of ``ids``) with this preview's links and unlinks of them applied."""
        unlinked, linked = self.unlinked.get(key), self.linked.get(key)
        if unlinked:
            for sid in unlinked.intersection(ids):
                found.pop(sid, None)
        if linked:
            for sid in linked.keys() & ids:
                found[sid] = _link(sid, linked[sid])
        return found

    def links(self, mapping_key: str, source_ids: Iterable[str]) -> dict[str, Link]:
        ids = list(source_ids)
        found = self.store.links(mapping_key, ids) if self.stored_links else {}
        return self._overlay(mapping_key, found, ids)

    def target_ids(self, mapping_keys: Sequence[str], source_ids: Iterable[str]) -> dict[str, str]:
        ids = set(source_ids)
        found = self.store.target_ids(mapping_keys, ids) if self.stored_links else {}
        for key in mapping_keys:
            unlinked, linked = self.unlinked.get(key), self.linked.get(key)
            if unlinked:
                for sid in unlinked & ids:
                    found.pop(sid, None)
            if linked:
                for sid in linked.keys() & ids:  # (``_target``, inline: a reference resolved per object)
                    kept = linked[sid]
                    if kept.__class__ is str:
                        found[sid] = f"(new {kept[1:]} for {sid})" if kept.startswith(_NEW) else kept
                    else:
                        found[sid] = kept.target_id  # type: ignore[union-attr]
        return found

    def iter_links(self, mapping_key: str, *, skip: Container[str] | None = None) -> Iterator[list[Link]]:
        if not self.stored_links:
            return
        unlinked = self.unlinked.get(mapping_key, set())
        linked = self.linked.get(mapping_key, {})
        for page in self.store.iter_links(mapping_key, skip=skip):
            kept = [
                _link(link.source_id, linked[link.source_id]) if link.source_id in linked else link
                for link in page
                if link.source_id not in unlinked
            ]
            if kept:
                yield kept

    def iter_dirty_links(self, mapping_key: str) -> Iterator[list[Link]]:
        """The links a cycle's references phase would read: those dirty in the store or made dirty by this
        preview, and the stored waiting links woken by what it linked or unlinked (all links it wrote, a
        superset of those whose target changed: a link woken needlessly resolves as before)."""
        found: dict[str, Link] = {}
        if self.stored_links:
            for page in self.store.iter_dirty_links(mapping_key):
                found.update((link.source_id, link) for link in page)
            if self.moved:
                found.update(self.store.waiting_links(mapping_key, self.moved))
        dirty, linked = self.dirty.get(mapping_key, set()), self.linked.get(mapping_key, {})
        if found:  # stored links this preview has linked again, clean: nothing left to resolve
            for sid in linked.keys() & found.keys():
                if sid not in dirty:
                    del found[sid]
        for sid in dirty:
            found[sid] = _link(sid, linked[sid])  # (kept whole: dirty)
        for sid in self.unlinked.get(mapping_key, ()):
            if sid not in self.linked.get(mapping_key, {}):
                found.pop(sid, None)
        ordered = [found[sid] for sid in sorted(found)]
        for start in range(0, len(ordered), _PAGE):
            yield ordered[start : start + _PAGE]

    def escrows(self, mapping_key: str, source_ids: Iterable[str]) -> dict[str, EscrowRow]:
        ids = list(source_ids)
        found = self.store.escrows(mapping_key, ids) if self.stored_escrows else {}
        cleared, rows = self.cleared_escrows.get(mapping_key, set()), self.escrow_rows.get(mapping_key, {})
        for sid in ids:
            if sid in rows:
                found[sid] = rows[sid]
            elif sid in cleared:
                found.pop(sid, None)
        return found

    def due_escrows(self, mapping_key: str, now: datetime) -> list[EscrowRow]:
        stored = self.store.due_escrows(mapping_key, now) if self.stored_escrows else []
        cleared, rows = self.cleared_escrows.get(mapping_key, set()), self.escrow_rows.get(mapping_key, {})
        due = {row.source_id: row for row in stored if row.source_id not in cleared}
        due.update({sid: row for sid, row in rows.items() if row.next_attempt <= now})
        return [due[sid] for sid in sorted(due)]

    def count_escrows(self) -> int:
        """An upper bound: the driver only asks whether there are any."""
        return self.store.count_escrows() + sum(len(rows) for rows in self.escrow_rows.values())

    def _staged_now(self, key: str) -> dict[str, StagedRemoval]:
        if key not in self._stored_staged:
            rows = (
                {r.source_id: r for page in self.store.iter_staged(key) for r in page}
                if self.stored_staged
                else {}
            )
            self._stored_staged[key] = rows
        current = {
            sid: r for sid, r in self._stored_staged[key].items() if sid not in self.unstaged.get(key, ())
        }
        current.update(self.staged.get(key, {}))
        return current

    def iter_staged(self, mapping_key: str) -> Iterator[list[StagedRemoval]]:
        current = self._staged_now(mapping_key)
        ordered = [current[sid] for sid in sorted(current)]
        for start in range(0, len(ordered), _PAGE):
            yield ordered[start : start + _PAGE]

    def count_staged(self) -> int:
        return sum(len(self._staged_now(key)) for key in self.keys)

    def intents(self, mapping_key: str) -> list[Intent]:
        if not self.stored_intents:
            return []
        cleared = self.cleared_intents.get(mapping_key, set())
        return [intent for intent in self.store.intents(mapping_key) if intent.source_id not in cleared]

    def count_intents(self) -> int:
        return sum(len(self.intents(key)) for key in self.keys)

    def linked_targets(self, mapping_key: str, target_ids: Iterable[str]) -> set[str]:
        ids = set(target_ids)
        found = self.store.linked_targets(mapping_key, ids) if self.stored_links else set()
        linked = self.linked.get(mapping_key, {})
        made = {target for sid, link in linked.items() if (target := _target(sid, link)) in ids}
        return found | made

    def links_by_target(self, mapping_key: str, target_ids: Iterable[str]) -> list[Link]:
        ids = set(target_ids)
        stored: dict[str, Link] = {}
        if self.stored_links:
            stored = {link.source_id: link for link in self.store.links_by_target(mapping_key, ids)}
        found = self._overlay(mapping_key, stored, list(stored))
        for sid, kept in self.linked.get(mapping_key, {}).items():
            if _target(sid, kept) in ids:
                found[sid] = _link(sid, kept)
        return [link for link in found.values() if link.target_id in ids]


_NEW = "\x00"
"""Starts the kept form of a link to an object this preview creates: ``\x00<type>``, one shared string per
type, read as the target id ``(new <type> for <source id>)``."""


def _target(sid: str, kept: Link | str) -> str:
    if isinstance(kept, Link):
        return kept.target_id
    return f"(new {kept[1:]} for {sid})" if kept.startswith(_NEW) else kept


def _link(sid: str, kept: Link | str) -> Link:
    return kept if isinstance(kept, Link) else Link(sid, _target(sid, kept))


class PreviewSink(Sink):
    """A dry-run: the driver's steps collected into ``plan`` (a ``Plan``, or a ``PlanStream`` that writes
    each operation as it comes); nothing exported, journaled or committed."""

    exported = False
    state: PreviewState

    def __init__(self, ctx: CycleContext, plan: PlanSink | None = None) -> None:
        self.ctx = ctx
        self.state = PreviewState(ctx.store, {m.key: m.target_object for m in ctx.mappings})
        self.plan: PlanSink = Plan() if plan is None else plan
        self._finds: dict[tuple[str, str], FindLookup] = {}

    def find(self, mapping: CompiledMapping) -> FindLookup:
        """The target's ``find``; nothing at all for a type the target counts no object of (nothing the
        plan creates is written, so nothing could be found)."""
        key = (mapping.target_directory, mapping.target_object)
        if key not in self._finds:
            target = self.ctx.connectors[mapping.target_directory]
            self._finds[key] = _nothing if target.count(mapping.target_object) == 0 else target.find
        return self._finds[key]

    def source_store(self, mapping: CompiledMapping, *, full: bool) -> DataStore | None:
        """A full read needs no data store: its updates would be dropped, and without one a source computes
        no fingerprints."""
        return None if full else _StoreView(self.ctx.store, mapping.key)

    def journal_writes(
        self,
        mapping: CompiledMapping,
        creates: Sequence[PlannedObject],
        others: Sequence[PlannedOperation],
        now: datetime,
        *,
        renamed: Sequence[Intent] = (),
    ) -> bool:
        return False

    def pending_exports(self, mapping_key: str) -> list[PendingExport]:
        """What a crash left unconfirmed, as the cycle will find it: the plan shows the re-sends (and the
        references cleared after deletions a crash interrupted)."""
        return self.ctx.store.pending_exports(mapping_key) if self.state.stored_exports else []

    def export(self, mapping: CompiledMapping, ops: Sequence[PlannedOperation]) -> list[ApplyResult]:
        """Every write succeeds; a create gets no target id (its link is read as ``(new <type> for <source
        id>)``)."""
        new = tuple.__new__  # (the named tuple's constructor is a Python function; one result per write)
        return [new(ApplyResult, (op.source_id, op.target_id, None)) for op in ops]

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
        self.plan.add(op)

    def held(self, batch: Batch, log: LogContext, op: PlannedOperation, *, first: bool) -> None:
        self.plan.add(op)

    def unchanged(self, op: PlannedOperation) -> None:
        self.plan.unchanged += 1

    def commit(self, batch: Batch) -> None:
        self.state.merge(batch)
