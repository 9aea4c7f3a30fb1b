"""Helpers of the fleet tests: jobs on json directories with a PostgreSQL state, ``idsync worker`` processes,
and reads of what the fleet did (cycles, leases, DBOS's workflows) straight from the database."""

from __future__ import annotations

import importlib.util
import itertools
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from tests.engine.run.conftest import USER, read_json, user, write_job
from tests.peers import peer_missing

ROOT = Path(__file__).parents[2]


def require_dbos() -> None:
    """DBOS Transact is installed (the ``fleet`` extra): fails under CI, skips elsewhere, like a peer."""
    if importlib.util.find_spec("dbos") is None:
        peer_missing("DBOS Transact", "the fleet tests need it: pip install 'idsync[fleet]'")


def fresh_database(url: str) -> str:
    name = f"fleet_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f"CREATE DATABASE {name}"))
    admin.dispose()
    return url.rsplit("/", 1)[0] + "/" + name


def write_jobs(folder: Path, url: str, jobs: int, users: int, schedule: str = "PT1H") -> list[Path]:
    """``jobs`` jobs (``job0``...), each its own source of ``users`` users and its own json target."""
    paths = []
    for index in range(jobs):
        source = {"User": [user(f"j{index}u{i:06d}") for i in range(users)]}
        path = write_job(folder / f"job{index}", source)
        document = json.loads(path.read_text(encoding="utf-8"))
        document.update(id=f"job{index}", state=url, schedule=schedule)
        path.write_text(json.dumps(document), encoding="utf-8")
        paths.append(path)
    return paths


def target_users(job_file: Path) -> list[str]:
    """The userName of every user in the job's json target (duplicates kept)."""
    return sorted(str(u.get("userName")) for u in read_json(job_file.parent / "target.json").get(USER, []))


class Worker:
    """An ``idsync worker`` process; its log in ``folder/<executor id>-<k>.<n>.log`` (``k``: this object, as
    two processes may share an executor id; ``n``: its start)."""

    made = 0

    def __init__(
        self, folder: Path, jobs: list[Path], executor_id: str, env: dict[str, str], *extra: str
    ) -> None:
        self.folder, self.jobs, self.executor_id, self.env, self.extra = folder, jobs, executor_id, env, extra
        Worker.made += 1
        self.name = f"{executor_id}-{Worker.made}"
        self.proc: subprocess.Popen[bytes] | None = None
        self.starts = 0
        self.start()

    def start(self) -> None:
        self.starts += 1
        self.log = self.folder / f"{self.name}.{self.starts}.log"
        command = [
            sys.executable,
            "-c",
            "from engine.cli import main; main()",
            "worker",
            *map(str, self.jobs),
        ]
        command += ["--executor-id", self.executor_id, "--poll-interval", "0.1", "--concurrency", "2"]
        command += self.extra
        with open(self.log, "wb") as out:
            self.proc = subprocess.Popen(
                command, stdout=out, stderr=subprocess.STDOUT, env=self.env, cwd=ROOT
            )

    def signal(self, sig: int) -> None:
        assert self.proc is not None
        self.proc.send_signal(sig)

    def kill(self) -> None:
        self.signal(signal.SIGKILL)
        assert self.proc is not None
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGCONT)
            self.proc.terminate()
            try:
                self.proc.wait(40)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def output(self) -> str:
        return "\n".join(
            (self.folder / f"{self.name}.{n}.log").read_text(errors="replace")
            for n in range(1, self.starts + 1)
        )


def worker_env(**extra: str) -> dict[str, str]:
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "IDSYNC_LEASE_SECONDS": "4",
        "IDSYNC_TICK_INTERVAL": "0.2",
        "IDSYNC_STATE_IDLE_TRANSACTION_SECONDS": "3",
    }
    env.update(extra)
    return env


class Fleet:
    """Reads of the fleet's database."""

    def __init__(self, url: str) -> None:
        self.engine = sa.create_engine(url, poolclass=sa.pool.NullPool)

    def rows(self, sql: str, **params: Any) -> list[Any]:
        """The rows of ``sql``; none while the workers have not made the tables yet."""
        try:
            with self.engine.connect() as conn:
                return list(conn.execute(sa.text(sql), params).fetchall())
        except sa.exc.ProgrammingError as exc:
            if "does not exist" in str(exc):
                return []
            raise

    def cycles(self, job: str) -> list[dict[str, Any]]:
        rows = self.rows("SELECT data FROM cycles WHERE job_id = :job ORDER BY began", job=job)
        return [json.loads(row[0]) for row in rows]

    def lease(self, job: str) -> tuple[str, int] | None:
        rows = self.rows("SELECT holder, epoch FROM job_leases WHERE job_id = :job", job=job)
        return (str(rows[0][0]), int(rows[0][1])) if rows else None

    def links(self, job: str) -> int:
        rows = self.rows("SELECT count(*) FROM object_links WHERE job_id = :job", job=job)
        return int(rows[0][0]) if rows else 0

    def pending_intents(self) -> int:
        return sum(
            int(row[0])
            for table in ("intents", "exports")
            for row in self.rows(f"SELECT count(*) FROM {table}")
        )

    def unfinished_workflows(self) -> list[tuple[str, str]]:
        sql = "SELECT workflow_uuid, status FROM dbos.workflow_status WHERE status IN ('ENQUEUED', 'PENDING')"
        return [(str(r[0]), str(r[1])) for r in self.rows(sql)]

    def activity(self) -> str:
        """What every other session of the database does, and the locks waited for (a failure's context)."""
        sessions = self.rows(
            "SELECT pid, state, wait_event_type, wait_event, now() - xact_start, left(query, 160) "
            "FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        waits = self.rows(
            "SELECT pid, locktype, relation::regclass::text, mode, objid FROM pg_locks WHERE NOT granted"
        )
        return "\n".join(map(str, [*sessions, "waiting:", *waits]))

    def close(self) -> None:
        self.engine.dispose()


def wait_for(condition: Callable[[], Any], timeout: float, what: str, every: float = 0.1) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def overlapping(cycles: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """Pairs of recorded cycles of one job whose [timeBegan, timeEnded] intersect."""
    spans = sorted((c["timeBegan"], c["timeEnded"], c["id"]) for c in cycles)
    return [(a[2], b[2]) for a, b in itertools.pairwise(spans) if b[0] < a[1]]
