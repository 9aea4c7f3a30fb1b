"""Change detection for directories without change tracking (json, csv, memory, SQL tables without a change
column): compare each object's fingerprint with the one kept in the engine-owned connector data store.

Store layout (one store per directory and object type): key = object id, value = a fingerprint of its
attributes. Pages carry the fingerprints of the objects they deliver in ``Page.store_updates``, so the
engine commits them together with the links: a cycle killed between pages re-delivers only what it had
not committed.

* ``since=None`` (full read): every object; store keys of objects that are gone are removed on the last
  page (the engine finds those deletions by comparing anchors with its links).
* ``since`` given: only objects whose fingerprint differs from the store (new ones included), then a
  tombstone for every stored id that is no longer present.
* ``store`` None: nothing to compare with, so every object is delivered, no tombstone is possible, and no
  fingerprint is computed (pages carry no store updates: there is no store to keep them in).

The watermark is a generation stamp (nanoseconds, always above the previous one): the store holds the truth,
the watermark only tells the engine that the read completed up to this point.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence

import orjson

from ._base import DataStore, DirectoryObject, Page, Value, Watermark

_ENCODER = json.JSONEncoder(sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
"""``json.dumps``' encoder for these options, made once (``dumps`` makes one per call: a fifth of it)."""

_SAME_TEXT = frozenset({str, bool, int, type(None)})
"""Value types orjson writes exactly as the encoder above does (sorted keys, the same escapes, integers of
up to 64 bits -- orjson refuses larger ones). Floats are not among them: orjson writes ``1e16`` where
``json`` writes ``1e+16``."""
_SAME_TEXT_OR_LIST = _SAME_TEXT | {list}


def fingerprint(attributes: Mapping[str, Value]) -> str:
    """A short stable digest of an object's attributes (order of keys does not matter). Stored by the
    engine between cycles: the text hashed must stay ``json.dumps`` of the options above, so orjson (about
    five times faster) writes it only when the values are of types it writes the same way."""
    kinds = set(map(type, attributes.values()))
    if kinds <= _SAME_TEXT_OR_LIST and (
        list not in kinds
        or all(_SAME_TEXT.issuperset(map(type, v)) for v in attributes.values() if type(v) is list)
    ):
        try:
            blob = orjson.dumps(attributes, option=orjson.OPT_SORT_KEYS)
        except TypeError:  # orjson.JSONEncodeError: a key that is not a string, an integer past 64 bits
            pass
        else:
            return hashlib.blake2b(blob, digest_size=16).hexdigest()
    text = _ENCODER.encode(attributes)
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).hexdigest()


def next_generation(since: Watermark | None) -> int:
    """A generation above ``since`` (wall-clock nanoseconds when the clock is ahead, else ``since + 1``)."""
    previous = since.cursor if since is not None and isinstance(since.cursor, int) else 0
    return max(time.time_ns(), previous + 1)


def datastore_pages(
    objects: Iterable[DirectoryObject],
    since: Watermark | None,
    *,
    page_size: int,
    store: DataStore | None,
    object_type: str,
    protected: frozenset[str] = frozenset(),
    absences_trusted: bool = True,
    seen: set[str] | None = None,
) -> Iterator[Page]:
    """The pages of a full or incremental read of ``objects`` (the live objects, in any order).

    ``protected``: ids present but unreadable this time (a malformed csv row): neither changed nor deleted.
    ``absences_trusted`` False (an unreadable row whose id is unknown): no tombstones in this read.
    ``seen``: the set to collect the ids read in (None: a new one).
    """
    ids = set() if seen is None else seen
    return datastore_batch_pages(
        _batches(objects, max(page_size, 1), ids),
        since,
        page_size=page_size,
        store=store,
        object_type=object_type,
        protected=protected,
        absences_trusted=absences_trusted,
        seen=ids,
    )


def datastore_batch_pages(
    batches: Iterable[Sequence[DirectoryObject]],
    since: Watermark | None,
    *,
    page_size: int,
    store: DataStore | None,
    object_type: str,
    protected: frozenset[str] = frozenset(),
    absences_trusted: bool = True,
    seen: set[str],
) -> Iterator[Page]:
    """``datastore_pages`` of objects that come in batches of any size (a producer that decodes many at a
    time), cut into pages of ``page_size``. ``seen`` holds the id of every object of a batch by the time the
    batch comes out: the producer puts them there (its duplicate check), so a million ids are held once and
    not collected again here."""
    watermark = Watermark(cursor=next_generation(since))
    incremental = since is not None and store is not None
    # A store empty before the read (an initial cycle) can only gain this read's own ids: nothing to compare
    # with and nothing gone, so neither lookups nor the scan of its keys (a million of them at the end).
    empty = store is not None and store.count() == 0
    compare = incremental and not empty
    added: set[str] = set()  # ids the store did not hold (compared reads): the count check below needs them
    pending: list[DirectoryObject] = []
    updates: dict[str, str | None] = {}
    page_size = max(page_size, 1)
    for batch in batches:
        if store is None:  # nothing to compare with or to keep: no fingerprints (a dry-run's full read)
            pending.extend(batch)
        else:
            prints = {obj.id: fingerprint(obj.attributes) for obj in batch}
            stored = store.get_many(prints) if compare else {}
            for obj in batch:
                if stored.get(obj.id) != prints[obj.id]:
                    pending.append(obj)
                    updates[obj.id] = prints[obj.id]
                    if compare and obj.id not in stored:
                        added.add(obj.id)
        while len(pending) >= page_size:
            chunk, pending = pending[:page_size], pending[page_size:]
            page_updates: dict[str, str | None] = {}
            if updates:  # none without a store: then no lookup per object either
                page_updates = {obj.id: updates.pop(obj.id) for obj in chunk if obj.id in updates}
            yield Page(chunk, watermark, page_updates)
    trusted = absences_trusted or not incremental
    gone = _gone(store, seen, protected, added if incremental else None) if trusted and not empty else []
    if incremental:
        pending.extend(DirectoryObject(object_type, key, {}, deleted=True) for key in gone)
    updates.update(dict.fromkeys(gone))
    yield from _final_pages(pending, updates, watermark, page_size)


def _gone(
    store: DataStore | None, seen: set[str], protected: frozenset[str], added: set[str] | None
) -> list[str]:
    """Stored ids no longer present. On an incremental read (``added``: the ids read that the store did not
    hold) the store is first counted: when it holds exactly the ids read, nothing is gone and its keys are
    not scanned. The pages already yielded may have been committed (their new ids then count) or not."""
    if store is None:
        return []
    if added is not None:
        committed = len(store.get_many(added)) if added else 0
        if store.count() == len(seen) - len(added) + committed:
            return []
    stored = store.keys()
    return [key for key in stored if key not in seen and key not in protected]


def _final_pages(
    objects: list[DirectoryObject], updates: dict[str, str | None], watermark: Watermark, page_size: int
) -> Iterator[Page]:
    step = max(page_size, 1)
    chunks = [objects[i : i + step] for i in range(0, len(objects), step)] or [[]]
    delivered = {obj.id for obj in objects}
    # Removals of keys for objects no page delivers (a full read's vanished ids) ride on the last page.
    leftovers = {k: v for k, v in updates.items() if k not in delivered}
    for number, chunk in enumerate(chunks):
        page_updates = {obj.id: updates[obj.id] for obj in chunk if obj.id in updates}
        if number == len(chunks) - 1:
            page_updates.update(leftovers)
        yield Page(chunk, watermark, page_updates)


def _batches(
    objects: Iterable[DirectoryObject], size: int, seen: set[str]
) -> Iterator[list[DirectoryObject]]:
    """``objects`` in lists of ``size``, their ids put in ``seen`` before each list comes out."""
    batch: list[DirectoryObject] = []
    for obj in objects:
        batch.append(obj)
        if len(batch) >= size:
            seen.update(obj.id for obj in batch)
            yield batch
            batch = []
    if batch:
        seen.update(obj.id for obj in batch)
        yield batch
