"""The console at ``/`` rendered by headless Chromium against a live server (fake engine, no token).
(``test_console.py`` drives it interactively, with a token, through Playwright.)

Chromium runs the page's script (``--virtual-time-budget`` lets its fetches finish) and the test reads the
resulting DOM: the job's row, the provisioning log rows, and the expression tester's answer.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

import httpx
import pytest

from tests.peers import free_port, peer_missing

from .serve_helpers import USERS, Served, serve_env, write_job

ROOT = Path(__file__).parents[2]


@pytest.fixture(scope="module")
def chromium() -> str:
    found = shutil.which("chromium-headless-shell") or shutil.which("chromium")
    if found is None:
        peer_missing("headless Chromium", "apt-get install chromium-headless-shell")
    return found


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = free_port()
    log = tmp_path_factory.mktemp("page") / "serve.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "tests.daemon.fake_serve", str(port), "noauth"],
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 30
            while True:
                assert proc.poll() is None and time.monotonic() < deadline, log.read_text()
                try:
                    httpx.get(f"{url}/openapi.json")
                    break
                except httpx.TransportError:
                    time.sleep(0.1)
            yield url
        finally:
            proc.terminate()
            proc.wait(30)


def _render(chromium: str, url: str) -> str:
    done = subprocess.run(
        [chromium, "--no-sandbox", "--disable-gpu", "--virtual-time-budget=8000", "--dump-dom", url],
        capture_output=True,
        text=True,
        timeout=90,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def test_page_shows_jobs_and_recent_provisioning_log(chromium: str, base_url: str) -> None:
    dom = _render(chromium, base_url + "/")
    assert (
        '<tr data-job="slow"><td>slow</td><td class="code-NotRun">NotRun</td><td>Active, every PT40M</td>'
        in dom
    )
    assert "<td>1/3 Users</td>" in dom  # the running cycle's live progress
    assert dom.count("<td>create</td>") == 3
    assert "<td>User 2</td>" in dom
    assert '<p id="error" role="alert"></p>' in dom  # no API call failed


@pytest.fixture(scope="module")
def real_serve(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """``idsync serve --no-auth`` on a real job, after its first cycle."""
    folder = tmp_path_factory.mktemp("page-real")
    write_job(folder, "page-demo", interval="PT40M")
    served = Served(["--no-auth", str(folder)], serve_env(None), folder)
    try:
        served.wait_ready()
        served.wait_for(lambda: served.client.get("/auditLogs/provisioning").json()["value"], what="a cycle")
        yield served
    finally:
        assert served.stop() == 0, served.output()


def test_page_over_a_real_serve_without_auth(chromium: str, real_serve: Served) -> None:
    dom = _render(chromium, real_serve.base + "/")
    assert '<tr data-job="page-demo"><td>page-demo</td><td class="code-Active">Active</td>' in dom
    assert dom.count("<td>page-demo</td>") == 1 + len(USERS)  # the job row, then one log row per user
    assert '<p id="error" role="alert"></p>' in dom
    assert '<form id="login" hidden=""' in dom  # no token: no login


def test_expression_tester_runs_the_documented_round_trip(chromium: str, real_serve: Served) -> None:
    query = urlencode(
        {
            "expression": 'Replace([preferredLanguage], "-", , , "_", ,  )',
            "values": json.dumps({"preferredLanguage": "EN-US"}),
        }
    )
    dom = _render(chromium, f"{real_serve.base}/?{query}")
    result = dom.split('<pre id="result">', 1)[1].split("</pre>", 1)[0]
    answer = json.loads(result.replace("&quot;", '"'))
    assert answer["evaluationResult"] == ["EN_US"]
