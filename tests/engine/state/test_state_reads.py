"""The state store's read strategies (``parallel_reads``: auto, on, off): chosen once when the store opens;
a page's links, reference targets and data-store keys come back the same whichever reads them. ``on``
reads a SQLite file's long id lists in parallel key ranges (and reads ahead before a commit); ``off``, and
in-memory or server databases whatever the setting, read on the calling thread; ``auto`` reads in parallel
only a SQLite file that was large when it opened."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from engine.state import PARALLEL_READS, Batch, Link, StateStore
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
def state_file(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'state.db'}"
    _filled(StateStore(url, "job", parallel_reads="off")).close()
    return url


@pytest.fixture(params=PARALLEL_READS)
def file_store(request: pytest.FixtureRequest, state_file: str) -> Iterator[StateStore]:
    store = StateStore(state_file, "job", parallel_reads=request.param)
    yield store
    store.close()


def _said(caplog: pytest.LogCaptureFixture) -> list[str]:
    said = (r.getMessage() for r in caplog.records if r.name == "idsync.state")
    return [message for message in said if "ids read" in message]


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
    assert [link.source_id for page in store.iter_links("m", pending_only=True) for link in page] == IDS[::7]


def test_every_setting_reads_the_same_rows(file_store: StateStore) -> None:
    _check(file_store)


def test_a_commit_of_many_store_keys_writes_what_changed_whatever_the_setting(file_store: StateStore) -> None:
    batch = Batch()
    batch.store_updates["m"] = {sid: ("changed" if n % 2 else None) for n, sid in enumerate(IDS[:400])}
    batch.store_updates["m"].update({f"new{n}": "fresh" for n in range(300)})
    file_store.commit(batch)
    got = file_store.datastore_get("m", IDS[:400] + [f"new{n}" for n in range(300)])
    assert got == {sid: "changed" for sid in IDS[1:400:2]} | {f"new{n}": "fresh" for n in range(300)}
    assert file_store.datastore_count("m") == 1000 - 200 + 300


def test_the_strategy_is_chosen_once_at_open(state_file: str, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG, logger="idsync.state"):
        for setting in PARALLEL_READS:
            store = StateStore(state_file, "job", parallel_reads=setting)
            _check(store)
            store.close()
    said = _said(caplog)
    assert len(said) == 3  # one choice per store, none per read
    on, off, auto = (next(m for m in said if f"parallelReads={s}" in m) for s in ("on", "off", "auto"))
    assert "parallel key ranges" in on
    assert "calling thread" in off
    assert "calling thread" in auto and "bytes at open" in auto  # a small file: most likely cached


def test_an_in_memory_state_is_read_on_the_calling_thread_even_when_on(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.DEBUG, logger="idsync.state"):
        store = _filled(StateStore("sqlite://", "job", parallel_reads="on"))
    _check(store)
    store.close()
    (said,) = _said(caplog)
    assert "calling thread" in said and "not a SQLite file" in said


def test_an_unknown_setting_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="auto, on, off"):
        StateStore(f"sqlite:///{tmp_path / 'state.db'}", "job", parallel_reads="sometimes")  # type: ignore[arg-type]


@pytest.mark.peer
def test_postgres_is_read_on_the_calling_thread_even_when_on(
    postgres_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG, logger="idsync.state"):
        store = _filled(StateStore(postgres_url, f"job-{uuid.uuid4().hex[:8]}", parallel_reads="on"))
    _check(store)
    store.close()
    (said,) = _said(caplog)
    assert "calling thread" in said and "not a SQLite file" in said
