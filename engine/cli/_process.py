"""Process-wide tuning, done by the entry points that own the process (the ``idsync`` command, the benchmark
harness) and never by library code, which may run inside a host program with its own settings.

A cycle allocates millions of short-lived containers (records, mapped values, operations, rows). CPython's
default generation-0 threshold (700 allocations) then starts a collection every few objects, and each one
walks the young objects again. A cycle's objects form no reference cycles and are freed by reference counting
as soon as their page is done, so collecting less often keeps memory the same while a cycle runs.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager

YOUNG_THRESHOLD = 100_000
"""Allocations between two young collections (CPython's default is 700)."""


def tune_collector() -> None:
    """Collect the young generation less often, for the rest of the process."""
    young, middle, old = gc.get_threshold()
    gc.set_threshold(max(young, YOUNG_THRESHOLD), middle, old)


@contextmanager
def keeping_what_lives() -> Iterator[Callable[[str, int, int | None], None]]:
    """For a command whose result grows with the directory (a dry-run keeps every operation it shows): a
    page callback (``SyncEngine.plan(progress=...)``) that moves what is alive out of the collector's sight,
    so that collections stop walking the growing result again and again. Handed back when the block ends:
    nothing is lost to collection, only postponed."""
    try:
        yield lambda label, done, total: gc.freeze()
    finally:
        gc.unfreeze()
