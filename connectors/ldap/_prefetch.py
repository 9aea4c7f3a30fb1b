"""Run an iterator one step ahead in a background thread (the next page of a read is fetched while the
caller converts the current one).

python-ldap releases the GIL while it waits for the server, so the server's and the network's time for page
N+1 overlaps the conversion of page N: that is what it is for (a remote server). With slapd on the same two
cores as the benchmark, no clear difference was measured either way (medians within 10%). Pages are still
*requested* one after the other by the one thread that owns the read's connection.
"""

from __future__ import annotations

import threading
from collections.abc import Generator, Iterator
from queue import Empty, Full, Queue
from typing import TypeVar

T = TypeVar("T")
_DONE = object()
_POLL = 0.1  # seconds between checks that the consumer still wants pages


def prefetched(source: Iterator[T], depth: int = 1) -> Generator[T, None, None]:
    """The items of ``source``, produced ahead by a daemon thread; its exceptions re-raised here."""
    queue: Queue[tuple[bool, object]] = Queue(maxsize=depth)
    stop = threading.Event()

    def offer(item: tuple[bool, object]) -> bool:
        while not stop.is_set():
            try:
                queue.put(item, timeout=_POLL)
                return True
            except Full:
                continue
        return False

    def produce() -> None:
        try:
            for item in source:
                if not offer((True, item)):
                    return
            offer((True, _DONE))
        except BaseException as exc:  # handed to the consumer, raised in its thread
            offer((False, exc))

    thread = threading.Thread(target=produce, name="ldap-prefetch", daemon=True)
    thread.start()
    try:
        while True:
            try:
                ok, item = queue.get(timeout=_POLL)
            except Empty:
                if not thread.is_alive() and queue.empty():
                    return
                continue
            if not ok:
                raise item  # type: ignore[misc]
            if item is _DONE:
                return
            yield item  # type: ignore[misc]
    finally:
        stop.set()
        thread.join()
