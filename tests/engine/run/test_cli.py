"""The command line end to end: run, dry-run (--json shape), explain, logs, demo — through click."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from engine.cli import main

from .conftest import USER, group, read_json, user, write_job


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.output


def test_dry_run_json_shape_then_run_then_nothing_left(tmp_path: Path) -> None:
    job = write_job(
        tmp_path,
        {
            "User": [user("u1"), user("u2", manager="u1", accountEnabled=False)],
            "Group": [group("g1", ["u1"])],
        },
    )
    code, out = invoke("dry-run", str(job), "--json")
    assert code == 0
    plan = json.loads(out)
    assert set(plan) == {"operations", "summary"}
    first = plan["operations"][0]
    assert {"action", "objectType", "sourceId", "targetId", "changes", "reason"} <= set(first)
    assert first["action"] == "create" and first["objectType"] == USER
    assert {"name": "userName", "old": None, "new": "u1@contoso.com"} in first["changes"]
    assert plan["summary"]["create"] == 2 and plan["summary"]["skip"] == 1
    assert not (tmp_path / "target.json").exists()
    assert not (tmp_path / "job.state.db").exists()  # a dry-run creates no state either

    code, out = invoke("run", str(job))
    assert code == 0 and "Succeeded" in out
    assert len(read_json(tmp_path / "target.json")[USER]) == 1

    code, out = invoke("dry-run", str(job))
    assert code == 0 and "create 0, update 0" in out


def test_run_exits_1_when_the_cycle_fails(tmp_path: Path) -> None:
    job = write_job(tmp_path, {"User": [user("u1")]})
    (tmp_path / "target.json").write_text("{ not json", encoding="utf-8")
    code, out = invoke("run", str(job))
    assert code == 1 and "Failed" in out and "target.json" in out


def test_bad_job_file_is_a_usage_error_without_traceback(tmp_path: Path) -> None:
    job = tmp_path / "job.yaml"
    job.write_text("id: x\nschedule: soon\n", encoding="utf-8")
    code, out = invoke("run", str(job))
    assert code == 2 and "job.yaml" in out and "Traceback" not in out


def test_explain_and_logs(tmp_path: Path) -> None:
    job = write_job(tmp_path, {"User": [user("u1", department="Sales")]})
    code, out = invoke("explain", str(job), "u1")
    assert code == 0 and "scoping" in out and "userName = u1@contoso.com" in out
    code, out = invoke("explain", str(job), "nobody")
    assert code == 1 and "nobody" in out
    invoke("run", str(job))
    code, out = invoke("logs", str(job))
    assert code == 0 and "create" in out and "u1" in out
    code, out = invoke("logs", str(job), "--json")
    (record,) = json.loads(out)["value"]
    assert record["provisioningAction"] == "create" and record["sourceIdentity"]["id"] == "u1"
    assert {s["provisioningStepType"] for s in record["provisioningSteps"]} >= {
        "import",
        "matching",
        "export",
    }


def test_demo_runs_end_to_end(tmp_path: Path) -> None:
    folder = tmp_path / "demo"
    code, out = invoke("demo", "--dir", str(folder))
    assert code == 0, out
    assert "create 293" in out and "Succeeded" in out and "status: Active" in out
    target = read_json(folder / "target.json")
    users = {u["externalId"]: u for u in target[USER]}
    assert "newhire300" in users and users["newhire300"]["active"] is True
    bundled = json.loads((Path(__file__).parents[3] / "engine" / "demo" / "source.json").read_text("utf-8"))
    deleted = next(u["mailNickname"] for u in bundled["User"] if u["id"] == "user-0299")
    assert deleted not in users and len(users) == 293  # 293 created, one deleted, one new hire
    # A second demo run starts afresh and gives the same result.
    code, again = invoke("demo", "--dir", str(folder))
    assert code == 0 and "create 293" in again


def test_progress_line_draws_a_bar_when_the_total_is_known_and_a_count_otherwise() -> None:
    from engine.cli._run import progress_line

    assert progress_line("User", 15, 30, width=10) == "\r  User       [#####.....] 15/30"
    assert progress_line("User", 45, 30, width=10).count("#") == 10
    assert progress_line("User", 7, None) == "\r  User       7 objects"
