"""Smaller promises of the command line: a first cycle is labelled initial, ``run`` on a paused job says so,
``logs --cycle`` names an unknown cycle, a misspelled source attribute is warned about at each run."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from engine.cli import main

from .corpus import CASES, Case, build

BASE = Case("base")


def test_the_first_cycle_is_initial_the_next_incremental(tmp_path: Path) -> None:
    job = str(build(tmp_path, BASE))
    first = CliRunner().invoke(main, ["run", job])
    assert first.exit_code == 0 and "(initial/full): Succeeded" in first.output, first.output
    second = CliRunner().invoke(main, ["run", job])
    assert second.exit_code == 0 and "(incremental): Succeeded" in second.output, second.output


def test_run_on_a_paused_job_says_so_and_runs(tmp_path: Path) -> None:
    job = str(build(tmp_path, BASE))
    assert CliRunner().invoke(main, ["jobs", "pause", job]).exit_code == 0
    result = CliRunner().invoke(main, ["run", job])
    assert result.exit_code == 0 and "Succeeded" in result.output
    assert "is paused" in result.stderr and "idsync jobs start" in result.stderr
    assert CliRunner().invoke(main, ["jobs", "start", job]).exit_code == 0
    assert "paused" not in CliRunner().invoke(main, ["run", job]).stderr


def test_logs_of_an_unknown_cycle_say_so(tmp_path: Path) -> None:
    job = str(build(tmp_path, BASE))
    before = CliRunner().invoke(main, ["logs", job, "--cycle", "nope"])
    assert before.exit_code == 1 and "no cycle 'nope'" in before.stderr and "none yet" in before.stderr
    cycle = json.loads(CliRunner().invoke(main, ["run", job, "--json"]).stdout)["id"]
    after = CliRunner().invoke(main, ["logs", job, "--cycle", "nope"])
    assert after.exit_code == 1 and cycle in after.stderr
    known = CliRunner().invoke(main, ["logs", job, "--cycle", cycle])
    assert known.exit_code == 0 and "no provisioning log records" not in known.output and "u1" in known.output
    quiet = json.loads(CliRunner().invoke(main, ["run", job, "--json"]).stdout)["id"]
    empty = CliRunner().invoke(main, ["logs", job, "--cycle", quiet])
    assert empty.exit_code == 0 and "logged no records" in empty.output


def test_a_misspelled_source_attribute_is_warned_about_at_every_run(tmp_path: Path) -> None:
    job = str(build(tmp_path, next(c for c in CASES if c.name == "attribute-typo")))
    for _ in range(2):
        result = CliRunner().invoke(main, ["run", job])
        assert result.exit_code == 0
        assert result.stderr.count("[givenNmae]") == 1 and "did you mean 'givenName'" in result.stderr
    assert "[givenNmae]" not in CliRunner().invoke(main, ["run", str(build(tmp_path / "ok", BASE))]).stderr


README = Path(__file__).resolve().parents[3] / "README.md"


def _troubleshooting_messages() -> list[str]:
    text = README.read_text(encoding="utf-8")
    table = text.split("| message | cause | fix |", 1)[1].split("\n\n", 1)[0]
    return [line.split("`")[1] for line in table.splitlines() if line.startswith("| `")]


def test_the_readme_troubleshooting_table_matches_the_error_corpus(tmp_path: Path) -> None:
    """Every error or warning of the corpus has its row in README's table, and every row (but the defect
    one) is a message some corpus case really prints."""
    messages = _troubleshooting_messages()
    assert len(messages) > 10
    printed: list[str] = []
    for case in CASES:
        result = CliRunner().invoke(main, ["run", str(build(tmp_path / case.name, case))])
        said = result.stderr + result.stdout
        if result.exit_code or "warning" in said:
            assert any(m in said for m in messages), f"{case.name}: no README row for {said}"
        printed.append(said)
    unused = [m for m in messages if m != "internal error" and not any(m in said for said in printed)]
    assert unused == []


def test_provision_writes_the_one_object_and_logs_it(tmp_path: Path) -> None:
    job = build(tmp_path, BASE)
    result = CliRunner().invoke(main, ["provision", str(job), "u2"])
    assert result.exit_code == 0, result.output
    assert "matching" in result.output and "provisioned: create success → User " in result.output
    target = json.loads((tmp_path / "target.json").read_text())
    assert [u["externalId"] for u in target["urn:ietf:params:scim:schemas:core:2.0:User"]] == ["u2"]
    logs = CliRunner().invoke(main, ["logs", str(job), "--json"])
    (record,) = json.loads(logs.stdout)["value"]
    assert record["sourceIdentity"]["id"] == "u2" and record["provisioningAction"] == "create"
    again = CliRunner().invoke(main, ["provision", str(job), "u2", "--json"])
    assert again.exit_code == 0 and json.loads(again.stdout)["provisioningStatusInfo"]["status"] == "skipped"
    missing = CliRunner().invoke(main, ["provision", str(job), "nobody"])
    assert missing.exit_code == 1 and "'nobody' was not found" in missing.stderr


def test_test_connection_reports_each_directory(tmp_path: Path) -> None:
    job = build(tmp_path, BASE)
    ok = CliRunner().invoke(main, ["test-connection", str(job), "--json"])
    assert ok.exit_code == 0, ok.output
    rows = {row["directory"]: row for row in json.loads(ok.stdout)["directories"]}
    assert rows["Azure Active Directory"]["ok"] and "read 1 User" in rows["Azure Active Directory"]["message"]
    assert rows["SCIM App"]["ok"]
    (tmp_path / "source.json").write_text('{"User": [')
    broken = CliRunner().invoke(main, ["validate", str(job), "--connect"])
    assert broken.exit_code == 1 and "Azure Active Directory (json): failed" in broken.stderr
    assert "source.json" in broken.stderr and "SCIM App (json): ok" in broken.stdout


def test_logs_filters(tmp_path: Path) -> None:
    job = str(build(tmp_path, BASE))
    assert CliRunner().invoke(main, ["run", job]).exit_code == 0

    def ids(*options: str) -> list[str]:
        result = CliRunner().invoke(main, ["logs", job, "--json", *options])
        assert result.exit_code == 0, result.output
        return [r["sourceIdentity"]["id"] for r in json.loads(result.stdout)["value"]]

    everything = ids()
    assert {"u1", "u2", "g1"} <= set(everything)
    assert set(ids("--object", "u2")) == {"u2"}
    assert set(ids("--action", "CREATE")) == {"u1", "u2", "g1"}
    assert ids("--status", "failure") == []
    assert ids("--since", "2000-01-01", "--until", "2000-01-02") == []
    assert ids("--since", "2000-01-01") == everything
    assert len(ids("--limit", "1")) == 1 and ids("--limit", "1") == everything[-1:]
    text = CliRunner().invoke(main, ["logs", job, "--object", "u2"]).output
    assert "None" not in text and "∅" in text
    bad = CliRunner().invoke(main, ["logs", job, "--since", "yesterday"])
    assert bad.exit_code == 2 and "Traceback" not in bad.output


def test_templates_show_mappings_is_a_readable_table() -> None:
    result = CliRunner().invoke(main, ["templates", "show", "scim", "--mappings"])
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert lines[0] == "Azure Active Directory: User → SCIM App: urn:ietf:params:scim:schemas:core:2.0:User"
    assert any(line.split() == ["userName", "←", "[userPrincipalName]", "[matching", "1]"] for line in lines)
    assert any("name.formatted" in line and 'Join(" ", [givenName], [surname])' in line for line in lines)
    assert len(lines) < 100 and "{" not in lines[0]
