"""The cycle's raised garbage-collection threshold is restored when the last running cycle ends."""

from __future__ import annotations

import gc
import threading

from engine.sync._gc import fewer_collections


def test_threshold_raised_inside_and_restored_after_nested_blocks() -> None:
    before = gc.get_threshold()
    with fewer_collections():
        raised = gc.get_threshold()
        with fewer_collections():
            assert gc.get_threshold() == raised
        assert gc.get_threshold() == raised  # the outer cycle still runs
    assert raised[0] >= 100_000 and raised[1:] == before[1:]
    assert gc.get_threshold() == before


def test_threshold_restored_when_a_cycle_fails() -> None:
    before = gc.get_threshold()
    try:
        with fewer_collections():
            raise RuntimeError("cycle defect")
    except RuntimeError:
        pass
    assert gc.get_threshold() == before


def test_overlapping_cycles_in_threads_restore_once_both_end() -> None:
    before = gc.get_threshold()
    inside, release = threading.Event(), threading.Event()

    def other_cycle() -> None:
        with fewer_collections():
            inside.set()
            release.wait(5)

    worker = threading.Thread(target=other_cycle)
    worker.start()
    inside.wait(5)
    with fewer_collections():
        pass
    assert gc.get_threshold() != before  # the thread's cycle is still running
    release.set()
    worker.join(5)
    assert gc.get_threshold() == before


def test_keeping_freezes_what_is_alive_and_hands_it_back() -> None:
    from engine.sync._gc import keeping

    assert gc.get_freeze_count() == 0
    with keeping() as keep:
        kept = [[n] for n in range(1000)]  # containers: tracked by the collector
        keep()
        assert gc.get_freeze_count() >= len(kept)
    assert gc.get_freeze_count() == 0
    assert gc.is_tracked(kept[0])
