"""``many_jobs``: a fleet of ``idsync worker`` processes (DBOS Transact, PostgreSQL state) draining many small
jobs: 24 jobs × 1,000 users (json source and target per job), every job due every second. The figure is the
time 3 workers take to finish every job's initial cycle, beside the baseline measured in the same run: 1
worker. The notes give the steady-state cycles per second of each, and the most state-database connections
seen per worker (bounded by the pool, whatever the number of jobs).

PostgreSQL: ``IDSYNC_BENCH_POSTGRES`` (a URL of a database the scenario may create databases from), else a
throwaway cluster started from the test suite's peer (``initdb`` on PATH or in /usr/lib/postgresql). Needs the
``fleet`` extra. ``--quick``: 6 jobs × 200 users.

    python -m benchmarks.scenario_many_jobs [--quick]      # alone, printing the figures
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ._harness import Measurement, Scenario

__all__ = ["SCENARIOS", "run_many_jobs"]

NAME = "many_jobs"
SIZES = {False: (24, 1000), True: (6, 200)}
STEADY_SECONDS = {False: 10.0, True: 3.0}
TARGET = "3 workers drain faster than 1 (ratio < 1)"
_USER = "urn:ietf:params:scim:schemas:core:2.0:User"


@contextlib.contextmanager
def _postgres() -> Iterator[str]:
    given = os.environ.get("IDSYNC_BENCH_POSTGRES", "").strip()
    if given:
        yield given
        return
    try:
        from tests.peers.postgres import PostgresCluster, find_bin_dir
    except ImportError as exc:
        raise RuntimeError(
            "set IDSYNC_BENCH_POSTGRES to a PostgreSQL URL (the test peers are not here)"
        ) from exc
    bin_dir = find_bin_dir()
    if bin_dir is None:
        raise RuntimeError("no PostgreSQL: install it or set IDSYNC_BENCH_POSTGRES")
    cluster = PostgresCluster(bin_dir)
    try:
        cluster.start()
        yield cluster.url
    finally:
        cluster.stop()


def _sql(url: str, statement: str, autocommit: bool = False) -> list[Any]:
    import sqlalchemy as sa

    engine = sa.create_engine(
        url, isolation_level="AUTOCOMMIT" if autocommit else None, poolclass=sa.pool.NullPool
    )
    try:
        with engine.connect() as conn:
            result = conn.execute(sa.text(statement))
            return list(result.fetchall()) if result.returns_rows else []
    except sa.exc.ProgrammingError as exc:
        if "does not exist" in str(exc):
            return []
        raise
    finally:
        engine.dispose()


def _database(url: str) -> tuple[str, str]:
    name = f"many_jobs_{uuid.uuid4().hex[:8]}"
    _sql(url, f"CREATE DATABASE {name}", autocommit=True)
    return url.rsplit("/", 1)[0] + "/" + name, name


def _jobs(folder: Path, url: str, jobs: int, users: int) -> None:
    for index in range(jobs):
        job = folder / f"job{index:02d}"
        job.mkdir(parents=True)
        people = [
            {
                "id": f"j{index}u{i:05d}",
                "userPrincipalName": f"j{index}u{i:05d}@contoso.com",
                "displayName": f"User {i}",
                "mailNickname": f"j{index}u{i:05d}",
                "accountEnabled": True,
            }
            for i in range(users)
        ]
        (job / "source.json").write_text(json.dumps({"User": people}), encoding="utf-8")
        document = {
            "id": f"job{index:02d}",
            "template": "scim",
            "schedule": "PT1S",
            "state": url,
            "directories": {
                "Azure Active Directory": {"connector": "json", "path": "source.json"},
                "SCIM App": {"connector": "json", "path": "target.json"},
            },
        }
        (job / "job.yaml").write_text(json.dumps(document), encoding="utf-8")


def _fleet(folder: Path, url: str, name: str, workers: int, jobs: int, steady: float) -> dict[str, float]:
    env = {**os.environ, "IDSYNC_TICK_INTERVAL": "0.2", "PYTHONPATH": str(Path(__file__).parents[1])}
    files = sorted(str(path) for path in folder.glob("job*/job.yaml"))
    command = [sys.executable, "-c", "from engine.cli import main; main()", "worker", *files]
    logs = [open(folder / f"w{n}.log", "wb") for n in range(workers)]  # noqa: SIM115 -- closed below
    started = time.perf_counter()
    processes = [
        subprocess.Popen(
            [*command, "--executor-id", f"w{n}", "--concurrency", "2", "--poll-interval", "0.1"],
            env=env,
            stdout=logs[n],
            stderr=subprocess.STDOUT,
        )
        for n in range(workers)
    ]
    connections = 0
    try:
        while True:
            done = _sql(url, "SELECT count(DISTINCT job_id) FROM cycles")
            active = _sql(url, f"SELECT count(*) FROM pg_stat_activity WHERE datname = '{name}'")
            connections = max(connections, int(active[0][0]) - 1 if active else 0)
            if done and int(done[0][0]) >= jobs:
                break
            gone = [n for n, process in enumerate(processes) if process.poll() is not None]
            if gone:
                text = (folder / f"w{gone[0]}.log").read_text(errors="replace")[-2000:]
                raise RuntimeError(f"worker w{gone[0]} exited:\n{text}")
            if time.perf_counter() - started > 600:
                raise RuntimeError(f"{workers} workers did not drain {jobs} jobs in 10 minutes")
            time.sleep(0.2)
        drained = time.perf_counter() - started
        span = _initial_span(url)
        before = int(_sql(url, "SELECT count(*) FROM cycles")[0][0])
        time.sleep(steady)
        after = int(_sql(url, "SELECT count(*) FROM cycles")[0][0])
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
        for process in processes:
            try:
                process.wait(60)
            except subprocess.TimeoutExpired:
                process.kill()
        for log in logs:
            log.close()
    return {
        "drain": drained,
        "cycles_span": span,
        "cps": (after - before) / steady,
        "connections": connections / workers,
    }


def _initial_span(url: str) -> float:
    """Seconds from the first initial cycle's start to the last one's end (process start-up left out)."""
    from datetime import datetime

    first: dict[str, tuple[str, str]] = {}
    for (text,) in _sql(url, "SELECT data FROM cycles ORDER BY began"):
        data = json.loads(text)
        first.setdefault(data["jobId"], (data["timeBegan"], data["timeEnded"]))
    began = min(datetime.fromisoformat(b) for b, _ in first.values())
    ended = max(datetime.fromisoformat(e) for _, e in first.values())
    return (ended - began).total_seconds()


def run_many_jobs(quick: bool) -> tuple[Measurement, dict[str, dict[str, float]]]:
    jobs, users = SIZES[quick]
    figures: dict[str, dict[str, float]] = {}
    with _postgres() as server, tempfile.TemporaryDirectory(prefix="idsync-many-jobs-") as scratch:
        for workers in (1, 3):
            url, name = _database(server)
            folder = Path(scratch) / f"fleet{workers}"
            _jobs(folder, url, jobs, users)
            figures[str(workers)] = _fleet(folder, url, name, workers, jobs, STEADY_SECONDS[quick])
    one, three = figures["1"], figures["3"]
    notes = (
        f"drain: 3 workers {three['drain']:.1f} s, 1 worker {one['drain']:.1f} s (first to last initial "
        f"cycle: {three['cycles_span']:.1f} s vs {one['cycles_span']:.1f} s); steady state: "
        f"{three['cps']:.1f} vs {one['cps']:.1f} cycles/s; state+DBOS connections per worker at most "
        f"{three['connections']:.0f} (3 workers) / {one['connections']:.0f} (1)"
    )
    return Measurement(jobs * users, three["drain"], one["drain"], notes), figures


def _run(quick: bool) -> Measurement:
    return run_many_jobs(quick)[0]


SCENARIOS = [
    Scenario(
        NAME,
        "fleet: 24 jobs x 1,000 users drained by 3 idsync workers vs 1 (DBOS, PostgreSQL)",
        _run,
        TARGET,
        tags=("fleet",),
    )
]


if __name__ == "__main__":
    measured, figures = run_many_jobs("--quick" in sys.argv)
    print(json.dumps({"figures": figures, "notes": measured.notes}, indent=2))
