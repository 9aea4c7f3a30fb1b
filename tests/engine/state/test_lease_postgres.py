"""The job's lease on PostgreSQL, and several processes opening one empty PostgreSQL state database at once
(a throwaway cluster; skipped without one)."""

from __future__ import annotations

import contextlib
import threading
import time
import uuid

import pytest
import sqlalchemy as sa

from engine.state import Batch, Fenced, JobBusy, Link, StateStore
from tests.peers.postgres import postgres_url as postgres_url

pytestmark = pytest.mark.peer


def _fresh_database(url: str) -> str:
    name = f"fresh_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f"CREATE DATABASE {name}"))
    admin.dispose()
    return url.rsplit("/", 1)[0] + "/" + name


def test_the_lease_fences_a_stale_holder_on_postgres(postgres_url: str) -> None:
    job = f"job-{uuid.uuid4().hex[:8]}"
    first, second = StateStore(postgres_url, job), StateStore(postgres_url, job)
    try:
        held = first.acquire_lease(ttl=0.6)
        with pytest.raises(JobBusy):
            second.acquire_lease(ttl=0.6)
        held._stop.set()  # frozen: no heartbeat
        time.sleep(0.7)
        taken = second.acquire_lease(ttl=30)
        assert taken.epoch == held.epoch + 1
        batch = Batch()
        batch.link("m", Link("s1", "t1"))
        with pytest.raises(Fenced):
            first.commit(batch)
        assert second.links("m", ["s1"]) == {}
        second.commit(batch)
        assert set(second.links("m", ["s1"])) == {"s1"}
    finally:
        first.close()
        second.close()


def test_one_lease_among_many_concurrent_takers_on_postgres(postgres_url: str) -> None:
    job = f"job-{uuid.uuid4().hex[:8]}"
    stores = [StateStore(postgres_url, job) for _ in range(6)]
    barrier = threading.Barrier(len(stores))
    won: list[int] = []

    def take(store: StateStore) -> None:
        barrier.wait()
        with contextlib.suppress(JobBusy):
            won.append(store.acquire_lease(ttl=30).epoch)

    threads = [threading.Thread(target=take, args=(s,)) for s in stores]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for store in stores:
        store.close()
    assert won == [1]


def test_opening_an_empty_database_from_many_processes_at_once_never_races(postgres_url: str) -> None:
    url = _fresh_database(postgres_url)
    barrier = threading.Barrier(6)
    errors: list[BaseException] = []

    def open_and_write(index: int) -> None:
        barrier.wait()
        try:
            store = StateStore(url, "job")
            batch = Batch()
            batch.link("m", Link(f"s{index}", f"t{index}"))
            store.commit(batch)
            store.close()
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=open_and_write, args=(i,)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    store = StateStore(url, "job")
    try:
        assert store.count_links() == {"m": 6}  # the per-job counters are upserts: none lost
    finally:
        store.close()
