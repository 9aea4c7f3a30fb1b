"""``idsync jobs list | status | start | pause | restart`` against a real job's state (engine + SQLite)."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from engine.cli import main

from .serve_helpers import write_job


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.output


def test_pause_start_restart_and_status_through_the_state(tmp_path: Path) -> None:
    job = write_job(tmp_path, "cli-job")
    code, out = _run("jobs", "list", str(tmp_path))
    assert code == 0 and out.split()[:3] == ["cli-job", "NotRun", "never"]

    assert _run("jobs", "pause", str(job))[0] == 0
    code, out = _run("jobs", "status", str(job))
    assert code == 0 and json.loads(out)["code"] == "Paused"
    listed = json.loads(_run("jobs", "list", "--json", str(job))[1])["value"]
    assert [(row["id"], row["code"]) for row in listed] == [("cli-job", "Paused")]

    code, out = _run("jobs", "start", str(job))
    assert code == 0 and "started (NotRun)" in out
    code, out = _run(
        "jobs", "restart", str(job), "--scope", "Watermark,escrows", "--scope", "QuarantineState"
    )
    assert code == 0 and "reset Escrows, QuarantineState, Watermark" in out


def test_errors_are_named_without_a_traceback(tmp_path: Path) -> None:
    job = write_job(tmp_path, "cli-job")
    code, out = _run("jobs", "restart", str(job), "--scope", "Everything")
    assert code == 2 and "--scope: unknown reset scope 'Everything'" in out
    code, out = _run("jobs", "status", str(tmp_path / "missing.yaml"))
    assert code == 2 and "missing.yaml: no such file" in out
    broken = tmp_path / "broken.yaml"
    broken.write_text("id: broken\ntemplate: scim\nschedule: PT5S\ndirectories: {}\n")
    code, out = _run("jobs", "status", str(broken))
    assert code == 2 and str(broken) in out and "Traceback" not in out  # a wrong job file: usage error
