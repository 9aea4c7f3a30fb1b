"""Reads by id in parallel key ranges (``engine._state_reads``): a page's links, reference targets and
data-store keys come back the same whether one connection reads them or several threads do. Only a large
SQLite file whose first pages read were slow (not cached) is read in parallel; one whose pages came fast, a
small one, an in-memory database and PostgreSQL are read on the calling thread."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from engine import _state_reads
from engine.state import Batch, Link, StateStore
from tests.peers.postgres import postgres_url as postgres_url

IDS = [f"s{n:04d}" for n in range(1000)]


def _filled(store: StateStore) -> StateStore:
    batch = Batch()
    for n, sid in enumerate(IDS):
        batch.link("m", Link(sid, f"t{n}", {"n": n}, {"manager": "s0001"} if n % 7 == 0 else None))
    batch.store_updates["m"] = {sid: f"fp{n}" for n, sid in enumerate(IDS)}
    store.commit(batch)
    return store


@pytest.fixture
def file_store(tmp_path: Path) -> Iterator[StateStore]:
    store = StateStore(f"sqlite:///{tmp_path / 'state.db'}", "job")
    yield _filled(store)
    store.close()


@pytest.fixture
def large(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every SQLite file counts as large, and its pages as not cached (every probe is slower than that)."""
    monkeypatch.setattr(_state_reads, "LARGE_FILE", 0)
    monkeypatch.setattr(_state_reads, "CACHED_PER_ID", 0.0)


@pytest.fixture
def readers(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the threads that read a range of ids."""
    names: list[str] = []
    read_all = _state_reads.IdReader._read_all

    def spy(
        self: Any, engine: Any, select: str, ids: Sequence[str], params: Sequence[Any], column: str
    ) -> list[Any]:
        names.append(threading.current_thread().name)
        return read_all(self, engine, select, ids, params, column)

    monkeypatch.setattr(_state_reads.IdReader, "_read_all", spy)
    return names


def _asked() -> list[str]:
    # Every stored id (out of order, some twice) and ids nobody stored.
    return IDS[::-1] + IDS[:50] + [f"x{n}" for n in range(30)]


def _check(store: StateStore) -> None:
    links = store.links("m", _asked())
    assert sorted(links) == IDS
    assert links["s0007"] == Link("s0007", "t7", {"n": 7}, {"manager": "s0001"})
    assert store.target_ids(["m", "other"], _asked()) == {sid: f"t{n}" for n, sid in enumerate(IDS)}
    assert store.datastore_get("m", _asked()) == {sid: f"fp{n}" for n, sid in enumerate(IDS)}
    assert store.links("m", IDS[:5]) == {sid: store.links("m", [sid])[sid] for sid in IDS[:5]}


def test_a_large_id_list_is_read_in_parallel_ranges_with_the_same_rows(
    large: None, file_store: StateStore, readers: list[str]
) -> None:
    _check(file_store)
    assert len(readers) == 3 * _state_reads.WORKERS  # links, targets, keys: each in WORKERS ranges
    assert all(name.startswith("state-read") for name in readers)


def test_a_large_file_whose_pages_come_fast_is_read_on_the_calling_thread(
    large: None, file_store: StateStore, readers: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_state_reads, "CACHED_PER_ID", 1.0)  # every probe is faster than that: cached
    _check(file_store)
    batch = Batch()
    batch.store_updates["m"] = {sid: "again" for sid in IDS[:300]}
    file_store.commit(batch)  # its read-ahead probes, finds the pages cached, and reads nothing more
    assert file_store.datastore_get("m", IDS[:300]) == dict.fromkeys(IDS[:300], "again")
    assert readers == []


def test_a_small_file_is_read_on_the_calling_thread(file_store: StateStore, readers: list[str]) -> None:
    _check(file_store)
    assert readers == []


def test_an_in_memory_state_is_read_on_the_calling_thread(large: None, readers: list[str]) -> None:
    store = _filled(StateStore("sqlite://", "job"))
    _check(store)
    assert readers == []
    store.close()


def test_a_commit_of_many_store_keys_reads_them_ahead_and_writes_what_changed(
    large: None, file_store: StateStore, readers: list[str]
) -> None:
    batch = Batch()
    batch.store_updates["m"] = {sid: ("changed" if n % 2 else None) for n, sid in enumerate(IDS[:400])}
    batch.store_updates["m"].update({f"new{n}": "fresh" for n in range(300)})
    file_store.commit(batch)
    got = file_store.datastore_get("m", IDS[:400] + [f"new{n}" for n in range(300)])
    assert got == {sid: "changed" for sid in IDS[1:400:2]} | {f"new{n}": "fresh" for n in range(300)}
    assert file_store.datastore_count("m") == 1000 - 200 + 300
    assert len(readers) == 2 * _state_reads.WORKERS  # the keys read ahead of the commit, then the get


@pytest.mark.peer
def test_postgres_is_read_on_the_calling_thread(postgres_url: str, large: None, readers: list[str]) -> None:
    store = _filled(StateStore(postgres_url, f"job-{uuid.uuid4().hex[:8]}"))
    _check(store)
    assert readers == []
    store.close()


def test_parallel_readers_keep_a_small_page_cache(large: None, file_store: StateStore) -> None:
    """Their pages only need to reach the OS cache; four readers with SQLite's 2 MiB each grew a 1M
    incremental cycle by 8 MB."""
    readers = file_store._ids.readers
    assert readers is not None
    with readers.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA cache_size").scalar() == -256
