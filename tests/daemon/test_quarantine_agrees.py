"""A quarantined job over real HTTP: a SCIM app that refuses the token quarantines the job at once
(AuthenticationFailed). The status, the metrics, the log line and the console then say the same thing: the
cycle is ``quarantined``, with its real cause and the scheduler's real next attempt (not "in a day")."""

from __future__ import annotations

import json
import signal
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.peers.scim import ScimTenant

from .serve_helpers import TOKEN, USERS, Served, serve_env

JOB = "refused"
PATH = f"/servicePrincipals/local/synchronization/jobs/{JOB}"


def test_a_quarantine_reads_the_same_everywhere(tmp_path: Path, scim_tenant: ScimTenant) -> None:
    (tmp_path / "source.json").write_text(json.dumps({"User": USERS[:2], "Group": []}))
    job = {
        "id": JOB,
        "template": "scim",
        "schedule": "PT40M",
        "directories": {
            "Azure Active Directory": {"connector": "json", "path": "source.json"},
            "SCIM App": {
                "connector": "scim",
                "baseAddress": scim_tenant.base_address,
                "secretToken": "wrong",
            },
        },
    }
    (tmp_path / "refused.yaml").write_text(json.dumps(job))
    served = Served([str(tmp_path / "refused.yaml"), "--log-json"], serve_env(), tmp_path)
    try:
        served.wait_ready()
        status = served.wait_for(
            lambda: (s := served.client.get(PATH).json()["status"])["code"] == "Quarantine" and s,
            what="the quarantine",
        )
        quarantine = status["quarantine"]
        assert quarantine["reason"] == "EncounteredQuarantineException"
        assert "401" in quarantine["error"]["message"] or "uthenticat" in quarantine["error"]["message"]
        next_attempt = datetime.fromisoformat(quarantine["nextAttempt"].replace("Z", "+00:00"))
        # the scheduler doubles the 40-minute interval in quarantine: ~80 min away, not a day
        assert next_attempt - datetime.now(UTC) < timedelta(hours=2)
        metrics = served.client.get("/metrics").text
        assert f'idsync_cycles_total{{job="{JOB}",outcome="quarantined"}} 1.0' in metrics
        assert f'idsync_quarantined{{job="{JOB}"}} 1.0' in metrics
        lines = [json.loads(line) for line in served.output().splitlines() if line.startswith("{")]
        finished = [line for line in lines if line["message"].startswith("cycle finished")]
        assert finished and finished[0]["outcome"] == "quarantined" and finished[0]["code"] == "Quarantine"
        assert finished[0]["quarantineReason"] == "EncounteredQuarantineException"
        assert finished[0]["error"]["message"] == quarantine["error"]["message"]
        _console_shows(served, quarantine["error"]["message"])
    finally:
        assert served.stop(signal.SIGTERM) == 0, served.output()


def _console_shows(served: Served, cause: str) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    import shutil

    chromium = shutil.which("chromium-headless-shell") or shutil.which("chromium")
    if chromium is None:
        return
    with sync_api.sync_playwright() as p:
        browser: Any = p.chromium.launch(executable_path=chromium, args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page()
        page.goto(served.base + "/")
        page.fill("#token", TOKEN)
        page.click("#login-button")
        page.wait_for_selector(f'#jobs tr[data-job="{JOB}"]')
        text = page.inner_text(f'#jobs tr[data-job="{JOB}"] td.quarantine')
        last_cycle = page.inner_text(f'#jobs tr[data-job="{JOB}"] td:nth-child(4)')
        browser.close()
    assert last_cycle.startswith("Quarantined ")
    assert text.startswith("EncounteredQuarantineException: ") and cause in text
    assert "next attempt" in text and text.endswith("(in 1 h)")  # 80 minutes, not a day
