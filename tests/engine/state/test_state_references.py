"""The state's bookkeeping for the references phase (dirty / waiting links, woken by the links they wait on),
the kept counts, and the upgrade of a version-1 database. On SQLite, and on PostgreSQL when it is there."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import create_engine, inspect, text

from engine.state import SCHEMA_VERSION, Batch, Link, StateStore
from tests.peers.postgres import postgres_url as postgres_url


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.peer)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StateStore]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'state.db'}"
    else:
        url = request.getfixturevalue("postgres_url")
    s = StateStore(url, f"job-{tmp_path.name}")
    yield s
    s.close()


def dirty(store: StateStore, scope: str = "users") -> list[str]:
    return [link.source_id for page in store.iter_dirty_links(scope) for link in page]


def pending(store: StateStore, scope: str = "users") -> list[str]:
    return [link.source_id for page in store.iter_links(scope, pending_only=True) for link in page]


def write(store: StateStore, *links: Link, scope: str = "users") -> None:
    batch = Batch()
    for link in links:
        batch.link(scope, link)
    store.commit(batch)


def settle(store: StateStore, link: Link, waiting_on: set[str], scope: str = "users") -> None:
    batch = Batch()
    batch.settle_references(scope, link, waiting_on)
    store.commit(batch)


def test_objects_phase_writes_with_pending_references_are_dirty(store: StateStore) -> None:
    write(store, Link("u2", "t2", pending_refs={"manager": "u1"}), Link("u3", "t3"))
    assert dirty(store) == ["u2"] and pending(store) == ["u2"]


def test_a_waiting_link_is_not_read_until_what_it_waits_on_is_linked(store: StateStore) -> None:
    waiting = Link("g1", "tg1", {"members": ["t2"]}, {"members": ["u2", "u9"]})
    write(store, waiting, scope="groups")
    settle(store, waiting, {"u9"}, scope="groups")
    assert dirty(store, "groups") == [] and pending(store, "groups") == ["g1"]
    write(store, Link("u5", "t5"))  # not awaited: nothing wakes
    assert dirty(store, "groups") == []
    write(store, Link("u9", "t9"))  # another mapping links u9: g1 is dirty in the same commit
    assert dirty(store, "groups") == ["g1"]
    assert store.links("groups", ["g1"])["g1"] == waiting


def test_only_linking_relinking_or_unlinking_a_named_id_wakes_a_waiting_link(store: StateStore) -> None:
    """Resolving reads nothing but which named ids are linked and to what: other writes wake nothing."""
    write(store, Link("u1", "t1"), Link("u2", "t2"))
    group = Link("g1", "tg1", {"members": ["t1"]}, {"members": ["u1", "u9"]})
    settle(store, group, {"u1", "u9"}, scope="groups")
    write(store, Link("u1", "t1", {"displayName": "renamed"}, disabled=True))  # same target object
    assert dirty(store, "groups") == []
    write(store, Link("u1", "t1-recreated"))
    assert dirty(store, "groups") == ["g1"]
    settle(store, group, {"u1", "u9"}, scope="groups")
    batch = Batch()
    batch.unlink("users", "u1")
    store.commit(batch)
    assert dirty(store, "groups") == ["g1"]
    settle(store, group, {"u1", "u9"}, scope="groups")
    batch = Batch()
    batch.unlink("users", "u1")  # no such link any more: nothing changes, nothing wakes
    store.commit(batch)
    assert dirty(store, "groups") == []


def test_waiting_links_named_by_ids(store: StateStore) -> None:
    """What a dry-run asks: which waiting links a set of linked or unlinked ids would wake."""
    group = Link("g1", "tg1", {}, {"members": ["u1", "u9"]})
    other = Link("g2", "tg2", {}, {"members": ["u8"]})
    settle(store, group, {"u1", "u9"}, scope="groups")
    settle(store, other, {"u8"}, scope="groups")
    write(store, Link("g3", "tg3", pending_refs={"members": ["u9"]}), scope="groups")  # dirty, not waiting
    assert store.waiting_links("groups", ["u9", "u7"]) == {"g1": group}
    assert set(store.waiting_links("groups", ["u1", "u8"])) == {"g1", "g2"}
    assert store.waiting_links("users", ["u9"]) == {} and store.waiting_links("groups", []) == {}


def test_settled_links_resolved_or_with_nothing_to_wait_on(store: StateStore) -> None:
    write(store, Link("u2", "t2", pending_refs={"manager": "u1"}), Link("u4", "t4", pending_refs={"x": "y"}))
    settle(store, Link("u2", "t2", {"manager": "t1"}), set())  # all resolved
    settle(store, Link("u4", "t4", pending_refs={"x": "y"}), set())  # unresolved, but waits on nothing
    assert dirty(store) == ["u4"] and pending(store) == ["u4"]
    assert store.links("users", ["u2"])["u2"].pending_refs is None


def test_an_objects_phase_write_makes_a_waiting_link_dirty_again(store: StateStore) -> None:
    link = Link("u2", "t2", pending_refs={"manager": "u1"})
    write(store, link)
    settle(store, link, {"u1"})
    assert dirty(store) == []
    write(store, Link("u2", "t2", {"displayName": "new"}, {"manager": "u1"}))
    assert dirty(store) == ["u2"]
    write(store, Link("u2", "t2", {"displayName": "newer"}))  # resolved at plan time: nothing pending
    write(store, Link("u1", "t1"))  # its stale wait wakes nothing
    assert dirty(store) == [] and pending(store) == []


def test_an_unlinked_waiting_link_leaves_nothing_behind(store: StateStore) -> None:
    link = Link("u2", "t2", pending_refs={"manager": "u1"})
    write(store, link)
    settle(store, link, {"u1"})
    batch = Batch()
    batch.unlink("users", "u2")
    store.commit(batch)
    write(store, Link("u1", "t1"))
    assert store.links("users", ["u2"]) == {} and dirty(store) == []
    assert store.count_links() == {"users": 1}


def test_a_failed_commit_wakes_nothing(store: StateStore) -> None:
    link = Link("u2", "t2", pending_refs={"manager": "u1"})
    write(store, link)
    settle(store, link, {"u1"})
    batch = Batch()
    batch.link("users", Link("u1", "t1"))
    batch.logs.append({"id": "x", "activityDateTime": "not a date"})
    with pytest.raises(ValueError):
        store.commit(batch)
    assert dirty(store) == [] and store.count_links() == {"users": 1}


def test_reset_links_clears_counts_and_waits(store: StateStore) -> None:
    link = Link("u2", "t2", pending_refs={"manager": "u1"})
    write(store, link)
    settle(store, link, {"u1"})
    batch = Batch()
    batch.store_updates["users"] = {"u2": "fp"}
    store.commit(batch)
    store.reset({"links", "datastore"})
    assert store.count_links() == {} and store.datastore_count("users") == 0
    write(store, Link("u1", "t1"))
    assert dirty(store) == [] and store.count_links() == {"users": 1}
    with pytest.raises(ValueError, match="choose from"):
        store.reset({"links; DROP TABLE links"})


_ids = st.sampled_from([f"s{i}" for i in range(8)])
_steps = st.lists(
    st.tuples(
        st.sampled_from(["link", "unlink", "store", "unstore"]),
        st.sampled_from(["a", "b"]),
        _ids,
        st.sampled_from(["v1", "v2"]),
    ),
    max_size=25,
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(pages=st.lists(_steps, max_size=5))
def test_kept_counts_equal_the_rows(tmp_path: Path, pages: list[list[tuple[str, str, str, str]]]) -> None:
    """Whatever sequence of pages is committed, the kept counts are what counting the tables gives, and the
    data store holds the last value written for each key."""
    url = f"sqlite:///{tmp_path / 'counts.db'}"
    store = StateStore(url, "job")
    store.reset({"links", "datastore"})
    expected: dict[str, dict[str, str | None]] = {"a": {}, "b": {}}
    for steps in pages:
        batch = Batch()
        for action, scope, sid, value in steps:
            if action == "link":
                batch.link(scope, Link(sid, f"t-{sid}"))
            elif action == "unlink":
                batch.unlink(scope, sid)
            else:
                batch.store_updates.setdefault(scope, {})[sid] = value if action == "store" else None
                expected[scope][sid] = value if action == "store" else None
        store.commit(batch)
    engine = create_engine(url)
    with engine.connect() as conn:
        links = dict(conn.execute(text("SELECT scope, COUNT(*) FROM object_links GROUP BY scope")).all())
        keys = dict(conn.execute(text("SELECT scope, COUNT(*) FROM store_keys GROUP BY scope")).all())
    engine.dispose()
    assert store.count_links() == links
    assert {s: store.datastore_count(s) for s in ("a", "b")} == {s: keys.get(s, 0) for s in ("a", "b")}
    for scope, values in expected.items():
        assert store.datastore_get(scope, values) == {k: v for k, v in values.items() if v is not None}
    store.close()


_V1 = [
    "CREATE TABLE idsync_metadata (key VARCHAR(64) PRIMARY KEY, value TEXT)",
    "INSERT INTO idsync_metadata VALUES ('schema_version', '1')",
    "CREATE TABLE links (job_id VARCHAR(200), scope VARCHAR(400), source_id VARCHAR(400), "
    "target_id VARCHAR(400) NOT NULL, essence TEXT NOT NULL, pending_refs TEXT, disabled BOOLEAN NOT NULL, "
    "PRIMARY KEY (job_id, scope, source_id))",
    "CREATE INDEX ix_links_pending ON links (job_id, scope, pending_refs)",
    "CREATE TABLE datastore (job_id VARCHAR(200), scope VARCHAR(400), key VARCHAR(400), value TEXT NOT NULL, "
    "PRIMARY KEY (job_id, scope, key))",
    "INSERT INTO links VALUES ('j', 'users', 'u1', 't1', '{\"version\":1,\"values\":{}}', NULL, FALSE)",
    "INSERT INTO links VALUES ('j', 'users', 'u2', 't2', '{\"version\":1,\"values\":{}}', "
    '\'{"version":1,"values":{"manager":"u9"}}\', FALSE)',
    "INSERT INTO links VALUES ('other', 'users', 'u1', 't1', '{\"version\":1,\"values\":{}}', NULL, FALSE)",
    "INSERT INTO datastore VALUES ('j', 'users', 'u1', '1')",
]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.peer)])
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A database of its own (on PostgreSQL, a new database in the throwaway cluster)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'v1.db'}"
    server = request.getfixturevalue("postgres_url")
    name = f"v1_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f"CREATE DATABASE {name}")
    admin.dispose()
    return f"{server.rsplit('/', 1)[0]}/{name}"


def test_a_version_1_database_is_upgraded_when_opened(empty_url: str) -> None:
    url = empty_url
    engine = create_engine(url)
    with engine.begin() as conn:
        for statement in _V1:
            conn.exec_driver_sql(statement)
    store = StateStore(url, "j")
    assert dirty(store) == ["u2"]  # pending links become dirty once: the next cycle sorts them out
    assert store.count_links() == {"users": 2} and store.datastore_count("users") == 1
    assert store.datastore_get("users", ["u1", "u2"]) == {"u1": "1"}
    assert store.links("users", ["u1"]) == {"u1": Link("u1", "t1")}
    assert StateStore(url, "other").count_links() == {"users": 1}
    with engine.connect() as conn:
        version = conn.execute(text("SELECT value FROM idsync_metadata")).scalar_one()
        indexes = {ix["name"] for ix in inspect(conn).get_indexes("object_links")}
        old_tables = [name for name in ("links", "datastore") if inspect(conn).has_table(name)]
    assert version == str(SCHEMA_VERSION) and "ix_object_links_refs" in indexes
    assert old_tables == []  # moved to object_links and store_keys (versions 3 and 4)
    settle(store, Link("u2", "t2", pending_refs={"manager": "u9"}), {"u9"})
    write(store, Link("u9", "t9"))
    assert dirty(store) == ["u2"] and store.count_links() == {"users": 3}
    store.close()
    reopened = StateStore(url, "j")  # opening an upgraded database again changes nothing
    assert reopened.count_links() == {"users": 3}
    reopened.close()
    engine.dispose()
