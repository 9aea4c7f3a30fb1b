"""Crash safety: ``idsync run`` killed with SIGKILL at arbitrary points loses and duplicates nothing, and a
``stop`` request ends a cycle cleanly after the current page."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from engine import SyncEngine, load_job

from .conftest import MANAGER, USER, read_json, user, write_job

USERS = 800
IDSYNC = str(Path(sys.executable).parent / "idsync")


def _source() -> dict:
    return {"User": [user(f"u{i:04d}", manager=f"u{i // 8:04d}" if i else None) for i in range(USERS)]}


def _run(job: Path, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [IDSYNC, "run", str(job)], capture_output=True, text=True, timeout=timeout, check=False
    )


def _check_converged(folder: Path) -> None:
    users = read_json(folder / "target.json")[USER]
    names = [u["userName"] for u in users]
    assert len(names) == len(set(names)) == USERS, "lost or duplicated objects"
    by_id = {u["id"]: u["userName"] for u in users}
    for u in users:
        number = int(u["userName"][1:5])
        expected = f"u{number // 8:04d}@contoso.com" if number else None
        assert by_id.get(u.get(MANAGER)) == expected


def _target_count(folder: Path) -> int:
    try:
        return len(read_json(folder / "target.json").get(USER, []))
    except ValueError:  # never a torn file (atomic rename), but be safe while polling
        return 0


@pytest.mark.parametrize("created", [40, 400, USERS])
def test_sigkill_mid_cycle_then_rerun_converges(tmp_path: Path, created: int) -> None:
    """Killed once ``created`` users exist (at USERS: during the references phase)."""
    job = write_job(tmp_path, _source(), settings={"pageSize": 100, "batchSize": 40})
    process = subprocess.Popen(
        [IDSYNC, "run", str(job)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 60
    while process.poll() is None and _target_count(tmp_path) < created and time.monotonic() < deadline:
        time.sleep(0.005)
    killed_mid_cycle = process.poll() is None
    if killed_mid_cycle:
        os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=30)
    assert killed_mid_cycle, "the cycle ended before it could be killed"
    result = _run(job)
    assert result.returncode == 0, result.stdout + result.stderr
    _check_converged(tmp_path)
    again = _run(job)
    assert again.returncode == 0 and "exported 0" in again.stdout


def test_stop_finishes_the_page_and_the_next_cycle_goes_on(tmp_path: Path) -> None:
    job = write_job(tmp_path, _source(), settings={"pageSize": 100})
    stop = threading.Event()
    seen: list[int] = []

    def progress(phase: str, done: int, total: int | None) -> None:
        seen.append(done)
        if done >= 300:
            stop.set()

    with SyncEngine(load_job(job)) as engine:
        report = engine.run_cycle(progress=progress, stop=stop)
        assert report.stopped and report.succeeded
        assert len(read_json(tmp_path / "target.json")[USER]) == 300
        assert seen[:3] == [100, 200, 300]
        engine.run_cycle()
    _check_converged(tmp_path)
