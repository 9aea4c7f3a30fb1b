"""Fewer garbage collections while a cycle runs.

A cycle allocates millions of short-lived containers (records, mapped values, operations, rows). CPython's
default generation-0 threshold (700 allocations) then starts a collection every few objects, and each one
walks the young objects again: about a sixth of an initial cycle's time went there (issue 6's profile). The
objects of a cycle are freed by reference counting as soon as their page is done (they form no cycles), so
collecting less often keeps memory the same while the cycle runs; the usual thresholds come back when the
last running cycle ends (cycles of several jobs may run at once in the daemon, hence the count).

A dry-run is different: it keeps what it builds (the plan), so every young collection walks the plan's new
objects again and then the older generation walks them all (a sixth of a 100k-user dry-run). ``keeping()``
lets such work move what is alive out of the collector's sight after each page (``gc.freeze``); it is handed
back when the block ends (``gc.unfreeze``), so nothing is lost to collection, only postponed.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

_YOUNG_THRESHOLD = 100_000
_lock = threading.Lock()
_running = 0
_saved: tuple[int, int, int] = gc.get_threshold()


@contextmanager
def fewer_collections() -> Iterator[None]:
    """Raise the generation-0 threshold for the duration of the block (nesting and threads are counted)."""
    global _running, _saved
    with _lock:
        if _running == 0:
            _saved = gc.get_threshold()
            gc.set_threshold(max(_saved[0], _YOUNG_THRESHOLD), _saved[1], _saved[2])
        _running += 1
    try:
        yield
    finally:
        with _lock:
            _running -= 1
            if _running == 0:
                gc.set_threshold(*_saved)


@contextmanager
def keeping() -> Iterator[Callable[[], None]]:
    """For work that keeps what it builds: the block gets ``keep()``, which puts every object alive now out
    of the collector's sight until the block ends."""
    try:
        yield gc.freeze
    finally:
        gc.unfreeze()
