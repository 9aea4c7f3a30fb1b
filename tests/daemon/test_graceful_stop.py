"""SIGTERM / SIGINT on the server: the running cycle is asked to stop, finishes, and the process exits 0.

Runs idsync's own server class, app and daemon in a subprocess over a fake engine (tests.daemon.fake_serve),
so it does not wait for the engine core; test_serve_http.py repeats it through ``idsync serve``.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.peers import free_port


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_signal_stops_the_running_cycle_and_exits_zero(tmp_path: Path, sig: signal.Signals) -> None:
    port = free_port()
    log = tmp_path / "out.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "tests.daemon.fake_serve", str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=Path(__file__).parents[2],
        )
        try:
            deadline = time.monotonic() + 30
            while "cycle started" not in log.read_text() and time.monotonic() < deadline:
                assert proc.poll() is None, log.read_text()
                time.sleep(0.1)
            metrics = httpx.get(
                f"http://127.0.0.1:{port}/metrics", headers={"Authorization": "Bearer t"}
            ).text
            assert 'idsync_cycle_running{job="slow"} 1.0' in metrics
            proc.send_signal(sig)
            code = proc.wait(30)
        finally:
            if proc.poll() is None:
                proc.kill()
    text = log.read_text()
    assert code == 0, text
    assert "cycle stopped on request: True; batch committed" in text
    assert text.index("batch committed") < text.index("exited cleanly")
    assert "Traceback" not in text
