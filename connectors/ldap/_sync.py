"""Change tracking for the ``ldap`` connector: entryCSN watermarks and deletions by anchor set. Pure.

**Changes** come from ``(entryCSN>=cursor)``: the lower bound is closed because several entries can share
the boundary, and the ids already delivered at exactly the cursor (``Watermark.boundary_ids``) are skipped.
The *signpost* is the suffix's ``contextCSN`` read when the read begins; an incremental read is bounded
above by it (``entryCSN<=signpost``) and the final page's watermark is the signpost, so a change made during
the read waits for the next cycle instead of being lost. CSNs (``20261122061504.014644Z#000000#000#000000``)
compare as text in time order. Without syncprov the signpost is the newest entryCSN of the object type; a
server that keeps no entryCSN at all (entryCSN is OpenLDAP's) gives no cursor, and every read is then a full
one (deletions still come as tombstones through the data store).

**Deletions** are found by comparing the anchors present now with the anchors the previous reads delivered,
kept in the engine-owned connector data store (key: anchor, value: DN). Chosen over syncrepl refresh because
it (a) also catches entries that leave the object type's scope (moved out of its base DN, objectClass or
filter no longer matching), which a syncprov session log reports only in persist mode; (b) works with any
anchor attribute, while syncrepl reports deletions as entryUUIDs; (c) needs no syncprov session log or
accesslog on the server. Its cost is one attributes-only paged search of the object type per incremental
read.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from .._base import Watermark


def newest(csns: Iterable[str | None]) -> str | None:
    """The latest of several CSNs (a multi-master suffix has one contextCSN per server)."""
    present = [csn for csn in csns if csn]
    return max(present) if present else None


def already_delivered(since: Watermark | None, object_id: str, csn: str | None) -> bool:
    """True for an object the previous read delivered at exactly the watermark's cursor (boundary de-dup)."""
    return since is not None and csn is not None and csn == since.cursor and object_id in since.boundary_ids


def closing_watermark(signpost: str | None, since: Watermark | None, at_signpost: Iterable[str]) -> Watermark:
    """The watermark after a complete read: the signpost, with the ids delivered exactly at it.

    Never goes backwards: when the server reports an older CSN than the watermark (a restored backup), the
    old watermark stays.
    """
    previous = since.cursor if since is not None and isinstance(since.cursor, str) else None
    if signpost is None or (previous is not None and signpost < previous):
        return since if since is not None else Watermark(None)
    ids = set(at_signpost)
    if since is not None and previous == signpost:
        ids |= since.boundary_ids
    return Watermark(signpost, frozenset(ids))


def deleted_ids(known: Iterable[str], present: Mapping[str, str] | set[str]) -> list[str]:
    """Anchors delivered before (the data store's keys) that the directory no longer holds in scope."""
    return sorted(anchor for anchor in known if anchor not in present)
