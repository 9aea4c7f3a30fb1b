"""The state shared by several processes on PostgreSQL (a throwaway cluster; skipped without one): opening an
empty database from many processes at once, one engine per URL per process, operator controls given by
another process during a cycle, a schema replaced by another process."""

from __future__ import annotations

import json
import multiprocessing
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from engine import SyncEngine, load_job
from engine.state import POOL_OVERFLOW_ENV, POOL_SIZE_ENV, Batch, Fenced, JobBusy, Link, Schedule, StateStore
from tests.engine.run.conftest import USER, read_json, user, write_job
from tests.peers.postgres import postgres_url as postgres_url

pytestmark = pytest.mark.peer


def _fresh_database(url: str) -> str:
    name = f"fresh_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f"CREATE DATABASE {name}"))
    admin.dispose()
    return url.rsplit("/", 1)[0] + "/" + name


def _open_and_write(url: str, index: int, barrier: Any, errors: Any) -> None:
    barrier.wait()
    try:
        store = StateStore(url, "job")
        batch = Batch()
        batch.link("m", Link(f"s{index}", f"t{index}"))
        store.commit(batch)
        store.close()
    except BaseException as exc:  # reported to the parent, asserted there
        errors.put(f"{type(exc).__name__}: {exc}")


def test_six_processes_opening_an_empty_database_at_once_never_fail(postgres_url: str) -> None:
    context = multiprocessing.get_context("fork")
    failures: list[str] = []
    for _ in range(10):
        url = _fresh_database(postgres_url)
        barrier, errors = context.Barrier(6), context.Queue()
        processes = [
            context.Process(target=_open_and_write, args=(url, i, barrier, errors)) for i in range(6)
        ]
        for process in processes:
            process.start()
        for process in processes:
            process.join(60)
        assert [p.exitcode for p in processes] == [0] * 6
        while not errors.empty():
            failures.append(errors.get())
        store = StateStore(url, "job")
        try:
            assert store.count_links() == {"m": 6}
        finally:
            store.close()
    assert failures == []


def test_one_engine_per_url_per_process_with_a_configured_pool(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(POOL_SIZE_ENV, "2")
    monkeypatch.setenv(POOL_OVERFLOW_ENV, "1")
    url = _fresh_database(postgres_url)
    stores = [StateStore(url, f"job{i}") for i in range(8)]
    schedule = Schedule(url)
    engine = stores[0]._engine
    assert all(store._engine is engine for store in stores) and schedule._engine is engine
    assert engine.pool.size() == 2  # type: ignore[attr-defined]
    stores[0].close()
    stores[0].close()  # closing twice hands the engine back once
    batch = Batch()
    batch.link("m", Link("s", "t"))
    stores[1].commit(batch)  # the others still work
    for store in stores[1:]:
        store.close()
    schedule.close()
    admin = sa.create_engine(postgres_url)
    with admin.connect() as conn:
        name = url.rsplit("/", 1)[1]
        count = conn.execute(
            sa.text("SELECT count(*) FROM pg_stat_activity WHERE datname = :name"), {"name": name}
        ).scalar_one()
    admin.dispose()
    assert count == 0  # the last store closed every connection


def test_an_invalid_pool_size_is_a_clear_state_error(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(POOL_SIZE_ENV, "many")
    with pytest.raises(Exception, match="IDSYNC_STATE_POOL_SIZE='many': expected a whole number"):
        StateStore(_fresh_database(postgres_url), "job")


def _pg_job(folder: Path, url: str, users: int) -> Path:
    path = write_job(folder, {"User": [user(f"u{i:05d}") for i in range(users)]})
    document = json.loads(path.read_text(encoding="utf-8"))
    document.update(id=f"pg-{uuid.uuid4().hex[:8]}", state=url)
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def _in_another_process(code: str, path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[3])}
    run = subprocess.run([sys.executable, "-c", code, str(path)], env=env, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr


_PAUSE = "import sys; from engine import SyncEngine, load_job; SyncEngine(load_job(sys.argv[1])).pause()"


def test_a_pause_from_another_process_during_a_cycle_stays_and_stops_it(
    tmp_path: Path, postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("IDSYNC_CONTROL_POLL_SECONDS", "0.05")
    path = _pg_job(tmp_path, postgres_url, 4000)
    paused: list[bool] = []

    def progress(phase: str, done: int, total: int | None) -> None:
        if not paused:
            paused.append(True)
            _in_another_process(_PAUSE, path)  # during the cycle, which holds the lease
        import time

        time.sleep(0.2)  # the watcher reads the control row meanwhile

    with SyncEngine(load_job(path)) as engine:
        report = engine.run_cycle(progress=progress)
        assert paused and report.stopped and report.succeeded
        status = engine.status()
        assert status["code"] == "Paused" and status["paused"] is True
        created = len(read_json(tmp_path / "target.json").get(USER, []))
        assert 0 < created < 4000  # stopped after a batch, keeping what it committed
        engine.start()
        assert engine.status()["code"] != "Paused"
        assert engine.run_cycle().succeeded
    assert len(read_json(tmp_path / "target.json")[USER]) == 4000


def test_start_lifts_the_quarantine_without_the_lease(tmp_path: Path, postgres_url: str) -> None:
    path = _pg_job(tmp_path, postgres_url, 3)
    with SyncEngine(load_job(path)) as engine, SyncEngine(load_job(path)) as other:
        engine.run_cycle()
        status = engine.store.status()
        status["quarantine"] = {"reason": "EncounteredQuarantineException", "seriesCount": 1}
        engine.store.commit(Batch(status=status))
        assert other.status()["code"] == "Quarantine"
        with engine.lease():  # a cycle elsewhere holds the job: start still works
            other.start()
            assert other.status()["code"] == "Active"
        report = engine.run_cycle()
        assert report.succeeded and engine.status()["code"] == "Active"
        assert engine.store.status().get("quarantine") is None  # the cycle acted on the lift


_PUT = (
    "import sys, json, datetime; from engine import SyncEngine, load_job, dump_schema; "
    "e = SyncEngine(load_job(sys.argv[1])); d = dump_schema(e.job.schema); "
    "d['synchronizationRules'][0]['objectMappings'][0]['attributeMappings'] = ["
    "m for m in d['synchronizationRules'][0]['objectMappings'][0]['attributeMappings'] "
    "if m['targetAttributeName'] != 'displayName']; "
    "e.store.store_schema(d, datetime.datetime.now(datetime.UTC))"
)


def _targets(engine: SyncEngine) -> set[str]:
    from engine import dump_schema

    document = dump_schema(engine.job.schema)
    return {
        m["targetAttributeName"]
        for m in document["synchronizationRules"][0]["objectMappings"][0]["attributeMappings"]
    }


def test_a_schema_replaced_by_another_process_is_run_by_the_next_cycle(
    tmp_path: Path, postgres_url: str
) -> None:
    path = _pg_job(tmp_path, postgres_url, 2)
    with SyncEngine(load_job(path)) as engine:
        assert engine.run_cycle().succeeded
        assert "displayName" in _targets(engine)
        _in_another_process(_PUT, path)
        report = engine.run_cycle()
        assert report.succeeded and report.full  # a changed schema forces a full cycle (spec §D.1)
        assert engine.schema_replaced is not None and "displayName" not in _targets(engine)
        engine.store.store_schema(None, engine.schema_replaced)  # back to the job file's
        assert engine.run_cycle().full and "displayName" in _targets(engine)


def test_restart_needs_the_lease(tmp_path: Path, postgres_url: str) -> None:
    path = _pg_job(tmp_path, postgres_url, 2)
    with SyncEngine(load_job(path)) as engine, SyncEngine(load_job(path)) as other, engine.lease():
        with pytest.raises(JobBusy):
            other.restart({"ForceDeletes"})
        other.pause()  # a control: no lease needed
        assert other.status()["code"] == "Paused"


def _backend(store: StateStore) -> int:
    with store._engine.connect() as conn:
        return int(conn.exec_driver_sql("SELECT pg_backend_pid()").scalar_one())


def _write_in_child(url: str, found: Any) -> None:
    try:
        store = StateStore(url, "child")
        batch = Batch()
        batch.link("m", Link("c", "t"))
        store.commit(batch)
        found.put(_backend(store))
        store.close()
    except BaseException as exc:  # reported to the parent, asserted there
        found.put(f"{type(exc).__name__}: {exc}")


def test_a_forked_child_never_shares_its_parents_pooled_connections(postgres_url: str) -> None:
    url = _fresh_database(postgres_url)
    parent = StateStore(url, "parent")
    try:
        mine = _backend(parent)  # now idle in the parent's pool
        context = multiprocessing.get_context("fork")
        found = context.Queue()
        child = context.Process(target=_write_in_child, args=(url, found))
        child.start()
        child.join(60)
        theirs = found.get(timeout=5)
        assert child.exitcode == 0 and isinstance(theirs, int), theirs
        assert theirs != mine  # the child opened its own connection
        assert _backend(parent) == mine  # and the parent's is still the parent's, alive
    finally:
        parent.close()


def test_a_holder_frozen_inside_a_commit_is_cut_off_once_its_lease_expired(postgres_url: str) -> None:
    job = f"job-{uuid.uuid4().hex[:8]}"
    frozen, taker = StateStore(postgres_url, job), StateStore(postgres_url, job)
    try:
        held = frozen.acquire_lease(ttl=1.0)
        held._stop.set()  # frozen: no heartbeat ...
        conn = frozen._engine.connect()
        conn.begin()
        held.fence(conn)  # ... in the middle of a commit: the lease row stays locked
        began = time.monotonic()
        taken = taker.acquire_lease(ttl=30, wait=10)
        assert taken.epoch == held.epoch + 1 and time.monotonic() - began < 8
        with pytest.raises(sa.exc.DBAPIError):  # its session was ended: its commit cannot land
            conn.exec_driver_sql("SELECT 1")
            conn.commit()
        conn.invalidate()
        batch = Batch()
        batch.link("m", Link("s", "t"))
        with pytest.raises(Fenced):
            frozen.commit(batch)
    finally:
        frozen.close()
        taker.close()
