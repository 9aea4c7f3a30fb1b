"""Soak (``-m slow``, outside the default run): several jobs on short intervals for a few minutes.

Checks: no two cycles of one job overlap (from each job's cycle history in its state), the daemon's
resident memory grows by at most ``RSS_GROWTH_BOUND`` after a warm-up minute, and every cycle in the history
has its "cycle finished" log line (JSON logs, with job and cycle ids). ``IDSYNC_SOAK_SECONDS`` sets the
length (default 180).
"""

from __future__ import annotations

import itertools
import json
import os
import random
import signal
import time
from datetime import datetime
from pathlib import Path

import pytest

import engine

from .serve_helpers import Served, serve_env, write_job

SECONDS = float(os.environ.get("IDSYNC_SOAK_SECONDS", "180"))
WARM_UP = min(60.0, SECONDS / 3)
RSS_GROWTH_BOUND = 40 * 1024 * 1024  # bytes: bounded state per job; logs and history live in SQLite
JOBS = ("soak-a", "soak-b", "soak-c")


def _rss(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS in /proc")


def _parse(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_soak_several_jobs(tmp_path: Path) -> None:
    for job_id in JOBS:
        write_job(tmp_path, job_id, interval="PT1S")
    rng = random.Random(7)
    served = Served([str(tmp_path), "--log-json"], serve_env(), tmp_path)
    samples: list[tuple[float, int]] = []
    try:
        served.wait_ready()
        began = time.monotonic()
        while time.monotonic() - began < SECONDS:
            job_id = rng.choice(JOBS)  # keep cycles busy: rename a few users of one job
            source = tmp_path / f"{job_id}-source.json"
            data = json.loads(source.read_text())
            for user in data["User"]:
                user["displayName"] = f"{user['id']} {rng.randrange(1000)}"
            source.write_text(json.dumps(data))
            samples.append((time.monotonic() - began, _rss(served.proc.pid)))
            time.sleep(2)
    finally:
        assert served.stop(signal.SIGTERM) == 0, served.output()[-3000:]

    warm = [rss for at, rss in samples if at >= WARM_UP]
    assert warm and max(warm) - warm[0] <= RSS_GROWTH_BOUND, samples
    print(f"RSS after warm-up {warm[0] / 2**20:.1f} MiB, peak {max(warm) / 2**20:.1f} MiB")

    logged = {}
    for line in served.output().splitlines():
        if line.startswith("{"):
            entry = json.loads(line)
            if entry["message"].startswith("cycle finished"):
                logged[entry["cycleId"]] = entry["jobId"]
    for job_id in JOBS:
        with engine.SyncEngine(engine.load_job(tmp_path / f"{job_id}.yaml")) as sync:
            history = sorted(sync.cycles(limit=100_000), key=lambda c: c["timeBegan"])
        assert len(history) >= 10, f"{job_id}: only {len(history)} cycles in {SECONDS}s"
        for earlier, later in itertools.pairwise(history):
            assert _parse(later["timeBegan"]) >= _parse(earlier["timeEnded"]), (earlier, later)
        print(f"{job_id}: {len(history)} cycles, none overlapping")
        missing = [c["id"] for c in history if logged.get(c["id"]) != job_id]
        assert not missing, f"{job_id}: cycles without a log line: {missing[:5]}"
