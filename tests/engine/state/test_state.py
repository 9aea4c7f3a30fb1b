"""The state store: versioning, one-transaction batches, tz-safe datetimes, paging of links."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import create_engine, text

from connectors import Watermark
from engine.state import Batch, EscrowRow, Link, StagedRemoval, StateError, StateStore


@pytest.fixture
def store(tmp_path):
    s = StateStore(f"sqlite:///{tmp_path / 'state.db'}", "job1")
    yield s
    s.close()


def test_batch_commits_links_watermark_and_store_together(store: StateStore) -> None:
    batch = Batch()
    batch.link("m", Link("s1", "t1", {"displayName": "A"}, pending_refs={"manager": "s2"}))
    batch.watermarks["m"] = Watermark(cursor=5, boundary_ids=frozenset({"s1"}))
    batch.store_updates["m"] = {"s1": "fp1", "gone": None}
    store.commit(batch)
    assert store.links("m", ["s1", "s9"]) == {"s1": Link("s1", "t1", {"displayName": "A"}, {"manager": "s2"})}
    assert store.watermark("m") == Watermark(cursor=5, boundary_ids=frozenset({"s1"}))
    assert store.datastore_get("m", ["s1", "gone"]) == {"s1": "fp1"}
    assert store.target_ids(["m", "other"], ["s1", "s2"]) == {"s1": "t1"}


def test_failed_batch_writes_nothing(store: StateStore) -> None:
    batch = Batch()
    batch.link("m", Link("s1", "t1"))
    batch.watermarks["m"] = Watermark(cursor=1)
    batch.logs.append({"id": "x", "activityDateTime": "not a date"})  # fails inside the transaction
    with pytest.raises(ValueError):
        store.commit(batch)
    assert store.links("m", ["s1"]) == {}
    assert store.watermark("m") is None


def test_unlink_and_escrows_and_staged(store: StateStore) -> None:
    now = datetime(2026, 1, 1, 12, tzinfo=UTC)
    batch = Batch()
    batch.link("m", Link("s1", "t1"))
    batch.link("m", Link("s2", "t2"))
    batch.escrow("m", EscrowRow("s3", 1, now, now + timedelta(hours=6), "ObjectRejected", "bad"))
    batch.stage("m", StagedRemoval("s2", {"action": "delete"}))
    store.commit(batch)
    batch = Batch()
    batch.unlink("m", "s1")
    store.commit(batch)
    assert set(store.links("m", ["s1", "s2"])) == {"s2"}
    assert store.due_escrows("m", now) == []
    due = store.due_escrows("m", now + timedelta(hours=7))
    assert [e.source_id for e in due] == ["s3"] and due[0].first_failure == now
    assert [[s.source_id for s in page] for page in store.iter_staged("m")] == [["s2"]]
    batch = Batch()
    batch.clear_escrow("m", "s3")
    batch.unstage("m", "s2")
    store.commit(batch)
    assert store.count_escrows() == 0 and store.count_staged() == 0


def test_iter_links_pages_in_order(store: StateStore) -> None:
    batch = Batch()
    for i in range(25):
        batch.link("m", Link(f"s{i:03}", f"t{i}", pending_refs={"x": 1} if i % 2 else None))
    store.commit(batch)
    pages = list(store.iter_links("m", page=10))
    assert [len(p) for p in pages] == [10, 10, 5]
    pending = [link.source_id for page in store.iter_links("m", pending_only=True) for link in page]
    assert pending == [f"s{i:03}" for i in range(25) if i % 2]
    seen = {f"s{i:03}" for i in range(25) if i < 12 or i % 3}
    others = [page for page in store.iter_links("m", page=10, skip=seen)]
    assert [[link.source_id for link in page] for page in others] == [
        ["s012", "s015", "s018"],
        ["s021", "s024"],
    ]
    assert others[0][0] == Link("s012", "t12")


def test_jobs_are_isolated(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    a, b = StateStore(url, "a"), StateStore(url, "b")
    batch = Batch()
    batch.link("m", Link("s1", "t1"))
    a.commit(batch)
    assert b.links("m", ["s1"]) == {}
    a.close()
    b.close()


def test_newer_schema_version_is_refused(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'state.db'}"
    StateStore(url, "j").close()
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE idsync_metadata SET value='99' WHERE key='schema_version'"))
    engine.dispose()
    with pytest.raises(StateError, match="newer"):
        StateStore(url, "j")


def test_naive_datetimes_are_refused(store: StateStore) -> None:
    batch = Batch()
    naive = datetime(2026, 1, 1)
    batch.escrow("m", EscrowRow("s", 1, naive, naive, "c", "m"))
    with pytest.raises(Exception, match="naive"):
        store.commit(batch)


def test_datastore_keys_are_paged_and_complete(store: StateStore) -> None:
    batch = Batch()
    batch.store_updates["m"] = {f"k{n:03d}": "fp" for n in range(25)}
    batch.store_updates["other"] = {"k000": "fp"}
    store.commit(batch)
    assert list(store.datastore_keys("m", page=4)) == [f"k{n:03d}" for n in range(25)]
    assert list(store.datastore_keys("m", page=25)) == [f"k{n:03d}" for n in range(25)]
    assert list(store.datastore_keys("other", page=1)) == ["k000"]
