"""One writer per job: the lease and its fencing epoch (``engine.state._lease``).

* the store level: a held lease refuses a second holder, expires, is taken over with a larger epoch, and a
  store whose lease was taken over commits nothing (``Fenced``), checked in the commit's transaction;
* the engine level: a cycle stalled past its lease while another process took the job over exports and
  commits nothing more;
* processes: concurrent ``idsync run`` of one job (3,000 users, json -> sql) leave no duplicate; a process
  frozen with SIGSTOP past its lease, resumed after another run took over, writes nothing after it wakes.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from benchmarks import _target
from benchmarks.generator import DirectorySpec, write_json
from engine import SyncEngine, load_job
from engine.cli import main as cli_main
from engine.state import Batch, Fenced, JobBusy, Link, StateStore

from .conftest import USER, read_json, user, write_job

IDSYNC = str(Path(sys.executable).parent / "idsync")


def _stall(lease: object) -> None:
    """Stop a lease's heartbeat, as a frozen process would not renew it."""
    lease._stop.set()  # type: ignore[attr-defined]
    thread = lease._thread  # type: ignore[attr-defined]
    if thread is not None:
        thread.join()


# --- the store ------------------------------------------------------------------------------------------


def test_a_held_lease_refuses_a_second_holder_and_is_taken_over_once_expired(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'state.db'}"
    first, second = StateStore(url, "job"), StateStore(url, "job")
    try:
        held = first.acquire_lease(ttl=0.6)
        with pytest.raises(JobBusy, match="being run by another idsync process"):
            second.acquire_lease(ttl=0.6)
        first.commit(Batch(status={"n": 1}))  # the holder writes
        _stall(held)
        time.sleep(0.7)  # expired: a takeover gets the next epoch
        taken = second.acquire_lease(ttl=5)
        assert taken.epoch == held.epoch + 1
        with pytest.raises(Fenced):
            first.commit(Batch(status={"n": 2}))
        with pytest.raises(Fenced):
            first.check_lease()
        batch = Batch()
        batch.link("m", Link("s1", "t1"))
        with pytest.raises(Fenced):  # the journal of creates too
            first.commit(batch)
        assert first.status() == {"n": 1} and first.links("m", ["s1"]) == {}
        second.commit(Batch(status={"n": 3}))
        assert first.status() == {"n": 3}
        taken.release()
        third = StateStore(url, "job")
        try:
            assert third.acquire_lease(ttl=5).epoch == taken.epoch + 1  # released: free at once
        finally:
            third.close()
    finally:
        first.close()
        second.close()


def test_the_heartbeat_keeps_a_lease_past_its_time_to_live(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'state.db'}"
    first, second = StateStore(url, "job"), StateStore(url, "job")
    try:
        first.acquire_lease(ttl=0.4)
        time.sleep(1.0)  # 2.5 times its time to live, without a write
        with pytest.raises(JobBusy):
            second.acquire_lease(ttl=0.4)
        first.check_lease()  # still this process's
    finally:
        first.close()
        second.close()


def test_wait_takes_the_lease_when_its_holder_releases_it(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'state.db'}"
    first, second = StateStore(url, "job"), StateStore(url, "job")
    try:
        held = first.acquire_lease(ttl=30)
        timer = threading.Timer(0.3, held.release)
        timer.start()
        began = time.monotonic()
        lease = second.acquire_lease(ttl=30, wait=10)
        assert 0.2 < time.monotonic() - began < 5 and lease.epoch == held.epoch + 1
        timer.join()
    finally:
        first.close()
        second.close()


def test_a_second_engine_of_a_running_job_does_nothing_and_says_so(tmp_path: Path) -> None:
    job = load_job(write_job(tmp_path, {"User": [user("u1")]}))
    with SyncEngine(job) as running, SyncEngine(job) as second:
        with running.lease():
            report = second.run_cycle()
            assert report.error_code == "JobBusy" and not report.succeeded
            assert "being run by another idsync process" in (report.error or "")
            with pytest.raises(JobBusy):
                second.restart({"Full"})
            with pytest.raises(JobBusy):
                second.provision_on_demand("u1")
        assert read_json(tmp_path / "target.json") == {}  # nothing exported
        assert second.cycles() == []  # and nothing recorded
        assert second.run_cycle().succeeded


# --- the engine: a cycle whose lease was taken over -----------------------------------------------------


def _sql_job(folder: Path, users: int, settings: dict[str, object] | None = None) -> tuple[Path, Path]:
    """A job reading ``users`` users from a json file into sql tables (the benchmarks' layout)."""
    folder.mkdir(parents=True, exist_ok=True)
    write_json(DirectorySpec(users=users, groups=0), folder / "source.json")
    target = folder / "target.db"
    _target.create_target(target)
    objects = {name: {"table": table, "anchor": "id"} for name, table in _target.TARGET_TABLES.items()}
    job = {
        "id": "concurrent",
        "schema": str(_target.schema_path()),
        "schedule": "PT40M",
        "directories": {
            "Azure Active Directory": {"connector": "json", "path": "source.json"},
            "SQL Target": {"connector": "sql", "url": f"sqlite:///{target}", "objects": objects},
        },
        "settings": {"deleteThreshold": None, "pageSize": 250, **(settings or {})},
        "state": f"sqlite:///{folder / 'state.db'}",
    }
    path = folder / "job.json"
    path.write_text(json.dumps(job), encoding="utf-8")
    return path, target


def _user_names(target: Path) -> list[str]:
    connection = sqlite3.connect(target)
    try:
        return [row[0] for row in connection.execute('SELECT "userName" FROM target_users')]
    finally:
        connection.close()


def test_a_cycle_stalled_past_its_lease_and_taken_over_writes_nothing_more(tmp_path: Path) -> None:
    path, target = _sql_job(tmp_path, 300, {"pageSize": 50, "batchSize": 10})
    job = load_job(path)
    url = job.state_url
    seen: dict[str, object] = {}

    with SyncEngine(job, lease_seconds=0.5) as engine:

        def progress(phase: str, done: int, total: int | None) -> None:
            if done >= 100 and "target" not in seen:
                # Frozen here (no heartbeat, no write) past the lease; another process takes the job over.
                lease = engine.store.lease
                assert lease is not None
                _stall(lease)
                time.sleep(0.6)
                other = StateStore(url, job.id)
                seen["epoch"] = other.acquire_lease(ttl=30).epoch
                seen["other"] = other
                seen["target"] = len(_user_names(target))
                seen["links"] = sum(other.count_links().values())

        report = engine.run_cycle(progress=progress)
    assert report.error_code == "Fenced" and not report.succeeded, report.error
    assert seen["epoch"] == 2
    assert len(_user_names(target)) == seen["target"]
    assert 0 < seen["target"] <= 100  # type: ignore[operator]  # (a few generated users are out of scope)
    after = StateStore(url, job.id)
    try:
        assert sum(after.count_links().values()) == seen["links"]
        assert after.cycles() == []  # not even its report
    finally:
        after.close()
        seen["other"].close()  # type: ignore[attr-defined]


# --- processes ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("runs", [2, 3])
def test_concurrent_runs_of_one_job_duplicate_nothing(tmp_path: Path, runs: int) -> None:
    job, target = _sql_job(tmp_path, 3000)
    processes = [
        subprocess.Popen(
            [IDSYNC, "run", str(job)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        for _ in range(runs)
    ]
    outcomes = [(p.wait(timeout=300), p.stdout.read() if p.stdout else "") for p in processes]
    codes = sorted(code for code, _ in outcomes)
    assert set(codes) <= {0, 4}, outcomes
    assert codes.count(0) >= 1, outcomes
    for code, output in outcomes:
        if code == 4:
            assert "being run by another idsync process" in output
    final = subprocess.run(
        [IDSYNC, "run", str(job)], capture_output=True, text=True, timeout=300, check=False
    )
    assert final.returncode == 0, final.stdout + final.stderr
    names = _user_names(target)
    assert len(names) == len(set(names)), f"{len(names)} rows for {len(set(names))} users"
    assert len(names) == _in_scope(tmp_path)


def test_run_wait_takes_its_turn(tmp_path: Path) -> None:
    job = write_job(tmp_path, {"User": [user("u1")]})
    with SyncEngine(load_job(job)) as holder:
        lease = holder.store.acquire_lease(ttl=30)
        busy = CliRunner().invoke(cli_main, ["run", str(job)])
        assert busy.exit_code == 4, busy.output
        assert "being run by another idsync process" in busy.output
        timer = threading.Timer(0.5, lease.release)
        timer.start()
        waited = CliRunner().invoke(cli_main, ["run", str(job), "--wait", "20"])
        timer.join()
    assert waited.exit_code == 0, waited.output
    assert len(read_json(tmp_path / "target.json")[USER]) == 1


def _in_scope(folder: Path) -> int:
    """The users a never-disturbed run provisions (the generator makes a few out of scope)."""
    job, target = _sql_job(folder / "reference", 3000)
    done = subprocess.run([IDSYNC, "run", str(job)], capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    return len(_user_names(target))


def _snapshot(target: Path, job_id: str, url: str) -> tuple[list[str], int, list[str]]:
    store = StateStore(url, job_id)
    try:
        links = sum(store.count_links().values())
        cycles = [c["id"] for c in store.cycles(100)]
    finally:
        store.close()
    return sorted(_user_names(target)), links, cycles


def _stopped(pid: int) -> bool:
    with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
        return stat.read().rsplit(")", 1)[1].split()[0] == "T"


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc to see the process stopped")
def test_a_process_frozen_past_its_lease_writes_nothing_after_it_wakes(tmp_path: Path) -> None:
    """Frozen (SIGSTOP) after its 4th commit, past its lease; another run takes the job over and finishes;
    resumed (SIGCONT), the frozen process stops with Fenced (exit 5) and writes nothing."""
    job, target = _sql_job(tmp_path, 3000, {"pageSize": 100, "batchSize": 20})
    env = {**os.environ, "IDSYNC_LEASE_SECONDS": "1"}
    helper = Path(__file__).with_name("freeze_after_commit.py")
    frozen = subprocess.Popen(
        [sys.executable, str(helper), str(job), "4"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    deadline = time.monotonic() + 120
    while frozen.poll() is None and not _stopped(frozen.pid) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert frozen.poll() is None and _stopped(frozen.pid), "the helper did not freeze"
    loaded = load_job(job)
    try:
        partial = _snapshot(target, loaded.id, loaded.state_url)
        assert 0 < len(partial[0]) < 3000
        time.sleep(1.5)  # past its lease
        other = subprocess.run(
            [IDSYNC, "run", str(job)], capture_output=True, text=True, timeout=300, check=False, env=env
        )
        assert other.returncode == 0, other.stdout + other.stderr
        before = _snapshot(target, loaded.id, loaded.state_url)
        assert len(before[0]) > len(partial[0]) and len(before[2]) == 1
    finally:
        os.kill(frozen.pid, signal.SIGCONT)
    code = frozen.wait(timeout=120)
    output = frozen.stdout.read() if frozen.stdout else ""
    assert code == 5, output
    assert "Fenced" in output and "took over" in output
    assert _snapshot(target, loaded.id, loaded.state_url) == before
    assert len(set(before[0])) == len(before[0]) == _in_scope(tmp_path)


def test_lease_times_are_wall_clock_milliseconds(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'state.db'}"
    store = StateStore(url, "job")
    try:
        lease = store.acquire_lease(ttl=10)
        connection = sqlite3.connect(tmp_path / "state.db")
        holder, epoch, expires = connection.execute(
            "SELECT holder, epoch, expires FROM job_leases WHERE job_id = 'job'"
        ).fetchone()
        connection.close()
        now = datetime.now(UTC).timestamp() * 1000
        assert holder == lease.holder and epoch == lease.epoch == 1
        assert now + 8_000 < expires < now + 11_000
    finally:
        store.close()


def test_the_lease_of_a_killed_process_is_taken_over_at_once(tmp_path: Path) -> None:
    """SIGKILL leaves the lease behind (no release); on the same machine its process is seen gone."""
    url = f"sqlite:///{tmp_path / 'state.db'}"
    script = (
        "import os, signal, sys\n"
        "from engine.state import StateStore\n"
        "StateStore(sys.argv[1], 'job').acquire_lease(ttl=600)\n"
        "os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    killed = subprocess.run([sys.executable, "-c", script, url], capture_output=True, timeout=60, check=False)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    store = StateStore(url, "job")
    try:
        began = time.monotonic()
        assert store.acquire_lease(ttl=30).epoch == 2
        assert time.monotonic() - began < 5  # not the 600 s the dead process had asked for
    finally:
        store.close()


def test_run_beside_serve_duplicates_nothing(tmp_path: Path) -> None:
    """``idsync serve`` cycling the job every second while ``idsync run`` is started beside it, repeatedly."""
    from tests.daemon.serve_helpers import Served, serve_env

    job, target = _sql_job(tmp_path, 3000, {"pageSize": 50, "batchSize": 10})  # long cycles: they overlap
    document = json.loads(job.read_text(encoding="utf-8"))
    document["schedule"] = "PT1S"
    job.write_text(json.dumps(document), encoding="utf-8")
    served = Served([str(job)], serve_env(), tmp_path)
    codes: list[int] = []
    try:
        served.wait_ready()
        for _ in range(4):
            run = subprocess.run(
                [IDSYNC, "run", str(job)], capture_output=True, text=True, timeout=300, check=False
            )
            assert run.returncode in (0, 4), run.stdout + run.stderr
            codes.append(run.returncode)
            time.sleep(0.3)
    finally:
        assert served.stop(signal.SIGTERM) == 0, served.output()
    final = subprocess.run(
        [IDSYNC, "run", str(job), "--wait", "60"], capture_output=True, text=True, timeout=300, check=False
    )
    assert final.returncode == 0, final.stdout + final.stderr
    names = _user_names(target)
    assert len(names) == len(set(names)) == _in_scope(tmp_path), codes
    assert 4 in codes  # at least one run found serve's cycle running
