"""Plain values the state store reads and writes (no SQLAlchemy here), and ``Batch``: one page's writes.

Every JSON blob carries ``"version": 1`` and is refused when newer (STYLE habit 14). Rows travel as tuples
in the column order of ``_schema`` (``from_values`` / ``values``); datetimes as ISO-8601 text.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import Any, NamedTuple

import orjson

from connectors import Watermark

BLOB_VERSION = 1
_NOTHING: Mapping[str, Any] = MappingProxyType({})
_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
_ORJSON_AS_JSON = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS
"""Dates and dataclasses are not orjson's to write: they go where ``json`` sends them."""


def encode_json(value: Any) -> str:
    """``value`` as the compact JSON text ``json`` writes (a link's essence, an intent), by orjson -- several
    times faster, and a cycle writes one per object -- or by ``json`` for what orjson refuses (an integer
    past 64 bits, a key that is no string, a date: refused by both) or writes otherwise (NaN, infinities)."""
    return encode_json_utf8(value).decode()


def encode_json_utf8(value: Any) -> bytes:
    """``encode_json``'s text as UTF-8 (what orjson writes): handed as it is to a database that stores text
    as UTF-8 (``Sql.utf8``), it is neither decoded here nor encoded again by the driver."""
    try:
        data = orjson.dumps(value, default=_as_list, option=_ORJSON_AS_JSON)
    except TypeError:  # orjson.JSONEncodeError
        return _JSON(value).encode()
    if b"null" in data and _non_finite(value):  # orjson writes NaN and infinities as null: json keeps them
        return _JSON(value).encode()
    return data


_RECORD = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=str).encode


def encode_record(value: Any) -> str:
    """A log record, a cycle's status, a watermark as compact JSON, anything not JSON as its ``str``; a NaN
    or infinite number as null (JSON has no spelling for them: the API could not serve them either)."""
    try:
        return orjson.dumps(value, default=_as_str, option=_ORJSON_AS_JSON).decode()
    except TypeError:  # orjson.JSONEncodeError
        return _RECORD(value)


def encode_record_utf8(value: Any) -> bytes:
    """``encode_record``'s text as UTF-8 (see ``encode_json_utf8``)."""
    try:
        return orjson.dumps(value, default=_as_str, option=_ORJSON_AS_JSON)
    except TypeError:  # orjson.JSONEncodeError
        return _RECORD(value).encode()


def _as_list(value: Any) -> list[Any]:
    """A named tuple (a change in a log record) is a list, as ``json`` writes it; else refused."""
    if isinstance(value, tuple):
        return list(value)
    raise TypeError(f"{type(value).__name__} is not JSON")


def _as_str(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else str(value)


def _non_finite(value: Any) -> bool:
    if value.__class__ is float:
        return not math.isfinite(value)
    if isinstance(value, dict):
        return any(_non_finite(v) for v in value.values())
    if isinstance(value, list | tuple):
        return any(_non_finite(v) for v in value)
    return False


class StateError(Exception):
    """The state database cannot be opened, is too new, or refused a write (fatal for the cycle)."""


class JobBusy(StateError):
    """Another process holds the job's lease (``StateStore.acquire_lease``): it is running a cycle or
    otherwise writing the job's state or target; nothing was done."""


class Fenced(StateError):
    """This process's lease on the job was taken over by another process (it was frozen, or its lease
    expired): the write was refused and the process must write nothing more for the job."""


def _load_blob(text: str | None, what: str) -> dict[str, Any] | None:
    if text is None:
        return None
    data = json.loads(text)
    if int(data.get("version", 1)) > BLOB_VERSION:
        raise StateError(f"{what} written by a newer idsync (version {data['version']}); upgrade idsync")
    return dict(data["values"])


def _dump_blob(values: Mapping[str, Any]) -> str:
    return _dump_blob_utf8(values).decode()


def _dump_blob_utf8(values: Mapping[str, Any]) -> bytes:
    """The same text as dumping {"version": 1, "values": values}, without building that dict, as UTF-8
    (``_dump_blob``: as a ``str``)."""
    plain = values if values.__class__ is dict else dict(values)
    return _BLOB_HEAD + encode_json_utf8(plain) + b"}"


_BLOB_HEAD = f'{{"version":{BLOB_VERSION},"values":'.encode()


def iso(value: datetime) -> str:
    """A datetime as stored: ISO-8601 with its offset; naive values are refused (they would lie).

    The text of the last datetime given is kept: a page's journal rows all carry the cycle's one ``now``,
    and formatting an aware datetime is no cheap call."""
    last = _last_iso[0]
    if last[0] is value:
        return last[1]
    if value.tzinfo is None:
        raise ValueError("naive datetime given to the state store; use an aware UTC datetime")
    text = value.isoformat()
    _last_iso[0] = (value, text)  # (datetimes never change: another thread's entry is as good)
    return text


_last_iso: list[tuple[datetime | None, str]] = [(None, "")]


def iso_text(text: str, seen: dict[str, str]) -> str:
    """ISO-8601 ``text`` as ``iso`` stores it (``seen``: the texts done already, e.g. a batch's)."""
    stored = seen.get(text)
    if stored is None:
        stored = seen[text] = iso(datetime.fromisoformat(text))
    return stored


LINK_COLUMNS = ("source_id", "target_id", "essence", "pending_refs", "disabled")
"""A link's columns, in the order of ``Link``'s fields and ``Link.row``."""


class Link(NamedTuple):
    """A source object linked to its target object, with the values last exported to it (its essence).

    A named tuple: a cycle makes one per object it writes, and reads one per object it plans. Its mappings
    are never changed once made (whoever changes a link makes a new one)."""

    source_id: str
    target_id: str
    essence: Mapping[str, Any] = _NOTHING
    pending_refs: Mapping[str, Any] | None = None
    """Reference attributes (in source ids) still to resolve and export in the references phase."""
    disabled: bool = False
    """The target object was disabled (soft-deleted) because its source left scope."""

    @classmethod
    def from_values(cls, row: Sequence[Any]) -> Link:
        return cls(
            row[0],
            row[1],
            _load_blob(row[2], "an essence") or {},
            _load_blob(row[3], "pending references"),
            bool(row[4]),
        )

    def row(self, utf8: bool = False) -> tuple[Any, ...]:
        """The link's values in ``LINK_COLUMNS`` order (its JSON as UTF-8 bytes with ``utf8``)."""
        dump = _dump_blob_utf8 if utf8 else _dump_blob
        pending = None if self.pending_refs is None else dump(self.pending_refs)
        return (self.source_id, self.target_id, dump(self.essence), pending, self.disabled)


@dataclass(frozen=True, slots=True)
class EscrowRow:
    source_id: str
    attempts: int
    first_failure: datetime
    next_attempt: datetime
    code: str
    message: str

    COLUMNS = ("source_id", "attempts", "first_failure", "next_attempt", "code", "message")

    @classmethod
    def from_values(cls, row: Sequence[Any]) -> EscrowRow:
        first, after = datetime.fromisoformat(row[2]), datetime.fromisoformat(row[3])
        return cls(row[0], int(row[1]), first, after, row[4], row[5])

    def row(self) -> tuple[Any, ...]:
        return (
            self.source_id,
            self.attempts,
            iso(self.first_failure),
            iso(self.next_attempt),
            self.code,
            self.message,
        )


@dataclass(frozen=True, slots=True)
class StagedRemoval:
    """A disable or delete held back by the deletion guard, as a JSON-able operation."""

    source_id: str
    operation: dict[str, Any]

    COLUMNS = ("source_id", "data")

    @classmethod
    def from_values(cls, row: Sequence[Any]) -> StagedRemoval:
        return cls(row[0], _load_blob(row[1], "a staged removal") or {})

    def row(self) -> tuple[Any, ...]:
        return (self.source_id, _dump_blob(self.operation))


@dataclass(frozen=True, slots=True)
class Intent:
    """A create about to be exported, journaled before the export (committed on its own) so that a process
    killed between the target write and the batch commit leaves a trace: the next cycle finds the created
    object again through ``values`` (matching attribute, value pairs in priority order) and removes it
    when its source object is gone. Cleared in the transaction that commits the object's link."""

    source_id: str
    values: tuple[tuple[str, str], ...]
    recorded: datetime

    COLUMNS = ("source_id", "recorded", "data")

    @classmethod
    def from_values(cls, row: Sequence[Any]) -> Intent:
        data = _load_blob(row[2], "an intent") or {}
        values = tuple((str(a), str(v)) for a, v in data.get("matching", ()))
        return cls(row[0], values, datetime.fromisoformat(row[1]))

    def row(self, utf8: bool = False) -> tuple[Any, ...]:
        matching = (_dump_blob_utf8 if utf8 else _dump_blob)(
            {"matching": [list(pair) for pair in self.values]}
        )
        return (self.source_id, iso(self.recorded), matching)


@dataclass(frozen=True, slots=True)
class PendingExport:
    """An update, disable or reference update about to be exported, journaled before the export (with the
    creates' intents, committed on their own) and cleared in the transaction that commits its result. One
    left behind means a process stopped between the two: the target may hold the new values of
    ``attributes`` or the old ones, whatever the state says it last sent."""

    source_id: str
    attributes: tuple[str, ...]
    recorded: datetime

    @classmethod
    def from_values(cls, row: Sequence[Any]) -> PendingExport:
        data = _load_blob(row[2], "a pending export") or {}
        return cls(row[0], tuple(str(a) for a in data.get("attributes", ())), datetime.fromisoformat(row[1]))

    def row(self, utf8: bool = False) -> tuple[Any, ...]:
        attributes = (_dump_blob_utf8 if utf8 else _dump_blob)({"attributes": list(self.attributes)})
        return (self.source_id, iso(self.recorded), attributes)


@dataclass
class Batch:
    """Everything one page (or one end-of-cycle step) writes; committed in one transaction.

    Links come from two writers. ``link`` is the objects phase: a link written with pending references is
    *dirty* (the next references phase processes it), and the links waiting on its source id become dirty
    too. ``settle_references`` is the references phase: what is still unresolved is *waiting* on the
    source ids in ``waiting_on`` and is not read again until one of them is linked, linked to another
    target object or unlinked (or the object itself changes).
    """

    links: dict[str, dict[str, Link]] = field(default_factory=dict)
    waiting_on: dict[str, dict[str, frozenset[str]]] = field(default_factory=dict)
    """Links written by the references phase, with the source ids their pending references name."""
    unlinked: dict[str, set[str]] = field(default_factory=dict)
    escrows: dict[str, dict[str, EscrowRow]] = field(default_factory=dict)
    cleared_escrows: dict[str, set[str]] = field(default_factory=dict)
    staged: dict[str, dict[str, StagedRemoval]] = field(default_factory=dict)
    unstaged: dict[str, set[str]] = field(default_factory=dict)
    cleared_intents: dict[str, set[str]] = field(default_factory=dict)
    cleared_exports: dict[str, set[str]] = field(default_factory=dict)
    """Pending exports (``PendingExport``) whose result this batch commits."""
    exports: dict[str, dict[str, PendingExport]] = field(default_factory=dict)
    """Pending exports recorded with this batch (work a later step must do even if the process dies)."""
    store_updates: dict[str, dict[str, str | None]] = field(default_factory=dict)
    watermarks: dict[str, Watermark] = field(default_factory=dict)
    logs: list[dict[str, Any]] = field(default_factory=list)
    cycle: dict[str, Any] | None = None
    status: dict[str, Any] | None = None

    def link(self, mapping_key: str, link: Link) -> None:
        """An objects-phase write: dirty when ``link.pending_refs`` is not None."""
        links = self.links.get(mapping_key)  # (no throw-away default per call: a page makes one per object)
        if links is None:
            links = self.links[mapping_key] = {}
        links[link.source_id] = link
        if self.waiting_on:
            self.waiting_on.get(mapping_key, {}).pop(link.source_id, None)
        if self.unlinked:
            self.unlinked.get(mapping_key, set()).discard(link.source_id)

    def settle_references(self, mapping_key: str, link: Link, waiting_on: Iterable[str] = ()) -> None:
        """A references-phase write: ``link.pending_refs`` (None when all resolved) waits on the source ids
        ``waiting_on`` (those it names). Pending references with nothing to wait on stay dirty (tried again
        every cycle)."""
        self.links.setdefault(mapping_key, {})[link.source_id] = link
        self.waiting_on.setdefault(mapping_key, {})[link.source_id] = frozenset(waiting_on)
        self.unlinked.get(mapping_key, set()).discard(link.source_id)

    def unlink(self, mapping_key: str, source_id: str) -> None:
        self.links.get(mapping_key, {}).pop(source_id, None)
        self.waiting_on.get(mapping_key, {}).pop(source_id, None)
        self.unlinked.setdefault(mapping_key, set()).add(source_id)
        self.clear_intent(mapping_key, source_id)  # removed from the target: no pending create is left either
        self.clear_export(mapping_key, source_id)

    def clear_intent(self, mapping_key: str, source_id: str) -> None:
        self.cleared_intents.setdefault(mapping_key, set()).add(source_id)

    def clear_export(self, mapping_key: str, source_id: str) -> None:
        self.cleared_exports.setdefault(mapping_key, set()).add(source_id)

    def record_export(self, mapping_key: str, export: PendingExport) -> None:
        self.exports.setdefault(mapping_key, {})[export.source_id] = export
        self.cleared_exports.get(mapping_key, set()).discard(export.source_id)

    def escrow(self, mapping_key: str, row: EscrowRow) -> None:
        self.escrows.setdefault(mapping_key, {})[row.source_id] = row

    def clear_escrow(self, mapping_key: str, source_id: str) -> None:
        self.escrows.get(mapping_key, {}).pop(source_id, None)
        self.cleared_escrows.setdefault(mapping_key, set()).add(source_id)

    def stage(self, mapping_key: str, removal: StagedRemoval) -> None:
        self.staged.setdefault(mapping_key, {})[removal.source_id] = removal
        self.unstaged.get(mapping_key, set()).discard(removal.source_id)

    def unstage(self, mapping_key: str, source_id: str) -> None:
        self.staged.get(mapping_key, {}).pop(source_id, None)
        self.unstaged.setdefault(mapping_key, set()).add(source_id)

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
            self.cleared_exports,
            self.exports,
            self.store_updates,
            self.watermarks,
            self.logs,
        )
        return not any(parts) and self.cycle is None and self.status is None
