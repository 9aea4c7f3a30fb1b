"""Plain values the state store reads and writes (no SQLAlchemy here), and ``Batch``: one page's writes.

Every JSON blob carries ``"version": 1`` and is refused when newer (STYLE habit 14).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from connectors import Watermark

BLOB_VERSION = 1


class StateError(Exception):
    """The state database cannot be opened, is too new, or refused a write (fatal for the cycle)."""


def _load_blob(text: str | None, what: str) -> dict[str, Any] | None:
    if text is None:
        return None
    data = json.loads(text)
    if int(data.get("version", 1)) > BLOB_VERSION:
        raise StateError(f"{what} written by a newer idsync (version {data['version']}); upgrade idsync")
    return dict(data["values"])


def _dump_blob(values: dict[str, Any]) -> str:
    return json.dumps({"version": BLOB_VERSION, "values": values}, ensure_ascii=False, separators=(",", ":"))


@dataclass(frozen=True, slots=True)
class Link:
    """A source object linked to its target object, with the values last exported to it (its essence)."""

    source_id: str
    target_id: str
    essence: dict[str, Any] = field(default_factory=dict)
    pending_refs: dict[str, Any] | None = None
    """Reference attributes (in source ids) still to resolve and export in the references phase."""
    disabled: bool = False
    """The target object was disabled (soft-deleted) because its source left scope."""

    @classmethod
    def from_row(cls, row: Any) -> Link:
        return cls(
            source_id=row.source_id,
            target_id=row.target_id,
            essence=_load_blob(row.essence, "an essence") or {},
            pending_refs=_load_blob(row.pending_refs, "pending references"),
            disabled=bool(row.disabled),
        )

    def to_row(self, job_id: str, scope: str) -> dict[str, Any]:
        return {
            "job_id": job_id,
            "scope": scope,
            "source_id": self.source_id,
            "target_id": self.target_id,
            "essence": _dump_blob(self.essence),
            "pending_refs": None if self.pending_refs is None else _dump_blob(self.pending_refs),
            "disabled": self.disabled,
        }


@dataclass(frozen=True, slots=True)
class EscrowRow:
    source_id: str
    attempts: int
    first_failure: datetime
    next_attempt: datetime
    code: str
    message: str

    @classmethod
    def from_row(cls, row: Any) -> EscrowRow:
        return cls(row.source_id, row.attempts, row.first_failure, row.next_attempt, row.code, row.message)

    def to_row(self, job_id: str, scope: str) -> dict[str, Any]:
        return {
            "job_id": job_id,
            "scope": scope,
            "source_id": self.source_id,
            "attempts": self.attempts,
            "first_failure": self.first_failure,
            "next_attempt": self.next_attempt,
            "code": self.code,
            "message": self.message,
        }


@dataclass(frozen=True, slots=True)
class StagedRemoval:
    """A disable or delete held back by the deletion guard, as a JSON-able operation."""

    source_id: str
    operation: dict[str, Any]

    @classmethod
    def from_row(cls, row: Any) -> StagedRemoval:
        return cls(row.source_id, _load_blob(row.data, "a staged removal") or {})

    def to_row(self, job_id: str, scope: str) -> dict[str, Any]:
        return {
            "job_id": job_id,
            "scope": scope,
            "source_id": self.source_id,
            "data": _dump_blob(self.operation),
        }


@dataclass(frozen=True, slots=True)
class Intent:
    """A create about to be exported, journaled before the export (committed on its own) so that a process
    killed between the target write and the batch commit leaves a trace: the next cycle finds the created
    object again through ``values`` (matching attribute, value pairs in priority order) and removes it
    when its source object is gone. Cleared in the transaction that commits the object's link."""

    source_id: str
    values: tuple[tuple[str, str], ...]
    recorded: datetime

    @classmethod
    def from_row(cls, row: Any) -> Intent:
        data = _load_blob(row.data, "an intent") or {}
        values = tuple((str(a), str(v)) for a, v in data.get("matching", ()))
        return cls(row.source_id, values, row.recorded)

    def to_row(self, job_id: str, scope: str) -> dict[str, Any]:
        return {
            "job_id": job_id,
            "scope": scope,
            "source_id": self.source_id,
            "recorded": self.recorded,
            "data": _dump_blob({"matching": [list(pair) for pair in self.values]}),
        }


@dataclass
class Batch:
    """Everything one page (or one end-of-cycle step) writes; committed in one transaction."""

    links: dict[str, dict[str, Link]] = field(default_factory=dict)
    unlinked: dict[str, set[str]] = field(default_factory=dict)
    escrows: dict[str, dict[str, EscrowRow]] = field(default_factory=dict)
    cleared_escrows: dict[str, set[str]] = field(default_factory=dict)
    staged: dict[str, dict[str, StagedRemoval]] = field(default_factory=dict)
    unstaged: dict[str, set[str]] = field(default_factory=dict)
    cleared_intents: dict[str, set[str]] = field(default_factory=dict)
    store_updates: dict[str, dict[str, str | None]] = field(default_factory=dict)
    watermarks: dict[str, Watermark] = field(default_factory=dict)
    logs: list[dict[str, Any]] = field(default_factory=list)
    cycle: dict[str, Any] | None = None
    status: dict[str, Any] | None = None

    def link(self, scope: str, link: Link) -> None:
        self.links.setdefault(scope, {})[link.source_id] = link
        self.unlinked.get(scope, set()).discard(link.source_id)

    def unlink(self, scope: str, source_id: str) -> None:
        self.links.get(scope, {}).pop(source_id, None)
        self.unlinked.setdefault(scope, set()).add(source_id)
        self.clear_intent(scope, source_id)  # removed from the target: no pending create is left either

    def clear_intent(self, scope: str, source_id: str) -> None:
        self.cleared_intents.setdefault(scope, set()).add(source_id)

    def escrow(self, scope: str, row: EscrowRow) -> None:
        self.escrows.setdefault(scope, {})[row.source_id] = row

    def clear_escrow(self, scope: str, source_id: str) -> None:
        self.escrows.get(scope, {}).pop(source_id, None)
        self.cleared_escrows.setdefault(scope, set()).add(source_id)

    def stage(self, scope: str, removal: StagedRemoval) -> None:
        self.staged.setdefault(scope, {})[removal.source_id] = removal
        self.unstaged.get(scope, set()).discard(removal.source_id)

    def unstage(self, scope: str, source_id: str) -> None:
        self.staged.get(scope, {}).pop(source_id, None)
        self.unstaged.setdefault(scope, set()).add(source_id)

    @property
    def empty(self) -> bool:
        parts = (
            self.links,
            self.unlinked,
            self.escrows,
            self.cleared_escrows,
            self.staged,
            self.unstaged,
            self.cleared_intents,
            self.store_updates,
            self.watermarks,
            self.logs,
        )
        return not any(parts) and self.cycle is None and self.status is None
