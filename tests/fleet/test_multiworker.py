"""A fleet of real ``idsync worker`` processes on a throwaway PostgreSQL (DBOS Transact): a worker killed
with SIGKILL mid-cycle and restarted with its executor id, and a worker frozen past its lease (SIGSTOP) and
resumed after another process re-ran its cycle. Sized for a few minutes on two cores."""

from __future__ import annotations

import json
import shutil
import signal
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from engine import SyncEngine, load_job
from tests.engine.run.conftest import USER, read_json
from tests.peers.postgres import postgres_url as postgres_url

from .fleet_helpers import (
    Fleet,
    Worker,
    fresh_database,
    overlapping,
    require_dbos,
    target_users,
    wait_for,
    worker_env,
    write_jobs,
)

pytestmark = [pytest.mark.peer, pytest.mark.timeout(420)]

USERS = 8000


@pytest.fixture(autouse=True)
def _dbos() -> None:
    require_dbos()


@pytest.fixture
def workers() -> Iterator[list[Worker]]:
    started: list[Worker] = []
    yield started
    for worker in started:
        worker.stop()


def _uninterrupted(job_file: Path, folder: Path) -> list[dict[str, object]]:
    """The target an uninterrupted run of the same job writes (a copy of its folder, SQLite state)."""
    copy = folder / "uninterrupted"
    shutil.copytree(job_file.parent, copy)
    (copy / "target.json").unlink(missing_ok=True)
    document = json.loads((copy / "job.yaml").read_text(encoding="utf-8"))
    document.pop("state")
    (copy / "job.yaml").write_text(json.dumps(document), encoding="utf-8")
    with SyncEngine(load_job(copy / "job.yaml")) as engine:
        assert engine.run_cycle().succeeded
    return _comparable(copy / "target.json")


def _comparable(target: Path) -> list[dict[str, object]]:
    """The target's users without the ids the target gave them (those differ from run to run)."""
    users = [{k: v for k, v in u.items() if k not in ("id", "meta")} for u in read_json(target).get(USER, [])]
    return sorted(users, key=lambda u: str(u.get("userName")))


def _holder_of(fleet: Fleet, job: str, workers: list[Worker]) -> Worker | None:
    lease = fleet.lease(job)
    if lease is None:
        return None
    return next((w for w in workers if f"@{w.executor_id}:" in lease[0]), None)


def _at(text: str) -> float:
    return datetime.fromisoformat(text).timestamp()


def test_a_killed_worker_restarted_with_its_id_reruns_its_cycle(
    tmp_path: Path, postgres_url: str, workers: list[Worker]
) -> None:
    url = fresh_database(postgres_url)
    jobs = write_jobs(tmp_path, url, 3, USERS)
    fleet = Fleet(url)
    env = worker_env()
    workers.extend(Worker(tmp_path, jobs, f"w{i}", env) for i in range(3))

    def mid_cycle() -> tuple[str, Worker] | None:
        for index in range(3):
            job = f"job{index}"
            holder = _holder_of(fleet, job, workers)
            if holder is not None and 1000 <= fleet.links(job) <= USERS - 2000 and not fleet.cycles(job):
                return job, holder
        return None

    job, victim = wait_for(mid_cycle, 120, "a cycle with committed pages")
    victim.kill()
    killed = time.time()
    time.sleep(1.0)
    victim.start()
    restarted = time.time()

    def all_done() -> bool:
        return all(any(c["state"] == "Succeeded" for c in fleet.cycles(f"job{i}")) for i in range(3))

    wait_for(all_done, 240, "every job's cycle")
    wait_for(lambda: not fleet.unfinished_workflows(), 30, "no enqueued or pending cycle left")
    rerun = fleet.cycles(job)[0]
    assert _at(rerun["timeBegan"]) - restarted < 10, (killed, restarted, rerun["timeBegan"])
    # DBOS puts a queued workflow it recovers back on its queue: any worker may run the re-run.
    assert any(f"{rerun['id']}: Succeeded" in w.output() for w in workers)
    for index in range(3):
        cycles = fleet.cycles(f"job{index}")
        assert overlapping(cycles) == []
        names = target_users(jobs[index])
        assert len(names) == len(set(names)) == USERS  # 0 duplicates, 0 missing
        assert fleet.links(f"job{index}") == USERS  # 0 orphans: every target object is linked
    assert fleet.pending_intents() == 0
    assert _comparable(jobs[int(job[3:])].parent / "target.json") == _uninterrupted(
        jobs[int(job[3:])], tmp_path
    )
    fleet.close()


def test_a_frozen_worker_is_fenced_after_its_cycle_was_rerun(
    tmp_path: Path, postgres_url: str, workers: list[Worker]
) -> None:
    url = fresh_database(postgres_url)
    jobs = write_jobs(tmp_path, url, 1, USERS)
    fleet = Fleet(url)
    env = worker_env()
    frozen = Worker(tmp_path, jobs, "wf", env)
    workers.append(frozen)
    wait_for(
        lambda: _holder_of(fleet, "job0", workers) and fleet.links("job0") >= 1000, 120, "committed pages"
    )
    frozen.signal(signal.SIGSTOP)
    epoch = fleet.lease("job0")
    assert epoch is not None
    # The lost host's worker is started elsewhere with its executor id: it recovers the cycle once the
    # frozen worker's lease has expired (it cannot tell a frozen process from a slow one).
    standby = Worker(tmp_path, jobs, "wf", env)
    workers.append(standby)
    try:
        cycles = wait_for(lambda: fleet.cycles("job0"), 90, "the re-run's cycle")
    except AssertionError as exc:
        raise AssertionError(f"{exc}\n{fleet.activity()}\n{standby.output()[-3000:]}") from None
    lease = fleet.lease("job0")
    assert lease is not None and lease[1] > epoch[1]
    frozen.signal(signal.SIGCONT)
    time.sleep(6)  # the resumed worker's heartbeat and next write find the lease taken over
    assert "lost the job" in frozen.output() or "Fenced" in frozen.output(), frozen.output()[-3000:]
    assert len(fleet.cycles("job0")) == len(cycles) == 1  # status written only by the re-run
    names = target_users(jobs[0])
    assert len(names) == len(set(names)) == USERS
    assert fleet.pending_intents() == 0
    fleet.close()
