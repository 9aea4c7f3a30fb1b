"""``idsync serve --runner dbos`` over a worker: the API (another process) pauses a job during the worker's
cycle and the pause stays; ``idsync jobs list`` names the worker running the job; start enqueues the rest;
a restart while the worker holds the job answers 409; the worker serves its own metrics."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from engine.cli import main
from tests.daemon.serve_helpers import Served
from tests.peers import free_port
from tests.peers.postgres import postgres_url as postgres_url

from .fleet_helpers import (
    Fleet,
    Worker,
    fresh_database,
    require_dbos,
    target_users,
    wait_for,
    worker_env,
    write_jobs,
)

pytestmark = [pytest.mark.peer, pytest.mark.timeout(300)]

USERS = 8000
JOB = "/servicePrincipals/local/synchronization/jobs/job0"


@pytest.fixture(autouse=True)
def _dbos() -> None:
    require_dbos()


@pytest.fixture
def running() -> Iterator[list[object]]:
    started: list[object] = []
    yield started
    for process in started:
        process.stop()  # type: ignore[attr-defined]


def _jobs_list(job: Path) -> dict[str, object]:
    done = CliRunner().invoke(main, ["jobs", "list", "--json", str(job)])
    assert done.exit_code == 0, done.output
    return dict(json.loads(done.stdout)["value"][0])


def test_a_pause_through_the_api_during_a_workers_cycle_stays(
    tmp_path: Path, postgres_url: str, running: list[object]
) -> None:
    url = fresh_database(postgres_url)
    jobs = write_jobs(tmp_path, url, 1, USERS)
    fleet = Fleet(url)
    env = worker_env(IDSYNC_CONTROL_POLL_SECONDS="0.2")
    port = free_port()
    worker = Worker(tmp_path, jobs, "w1", env, "--metrics-port", str(port))
    running.append(worker)
    served = Served([str(jobs[0]), "--runner", "dbos", "--no-auth"], env, tmp_path)
    running.append(served)
    served.wait_ready()
    wait_for(lambda: fleet.links("job0") >= 1000, 120, "the worker's cycle to commit pages")
    assert "worker w1" in str(_jobs_list(jobs[0])["heldBy"])
    restart = served.client.post(f"{JOB}/restart", json={"criteria": {"resetScope": "Full"}})
    assert restart.status_code == 409 and restart.json()["error"]["code"] == "Conflict", restart.text
    assert served.client.post(f"{JOB}/pause").status_code == 204
    cycle = wait_for(lambda: fleet.cycles("job0"), 60, "the stopped cycle")[0]
    assert cycle["state"] == "Succeeded"
    created = len(target_users(jobs[0]))
    assert created < USERS  # stopped after its current batch
    job = served.client.get(JOB).json()
    assert job["status"]["code"] == "Paused" and job["schedule"]["state"] == "Paused"
    assert _jobs_list(jobs[0])["code"] == "Paused"
    assert served.client.post(f"{JOB}/start").status_code == 204  # enqueues a cycle for the workers
    wait_for(lambda: len(target_users(jobs[0])) == USERS, 120, "the rest, after start")
    wait_for(lambda: len(fleet.cycles("job0")) == 2, 30, "the second cycle recorded")
    assert served.client.get(JOB).json()["status"]["code"] == "Active"
    names = target_users(jobs[0])
    assert len(set(names)) == USERS
    metrics = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=10).text  # the worker's own
    assert 'idsync_cycles_total{job="job0",outcome="succeeded"} 2.0' in metrics
    fleet.close()
