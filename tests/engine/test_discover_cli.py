"""``idsync discover``: the bound directories as Graph directoryDefinition documents."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from engine.cli import main


def job(tmp_path: Path) -> Path:
    (tmp_path / "hr.csv").write_text("employeeId,firstName,managerId\nE1,Ann,\n")
    (tmp_path / "target.json").write_text(
        json.dumps({"User": [{"id": "u1", "mail": ["a@x"], "manager": "u2"}]})
    )
    path = tmp_path / "job.yaml"
    path.write_text(
        "id: hr\ntemplate: csv-to-ldap\ndirectories:\n"
        "  CSV Feed: {connector: csv, path: hr.csv, anchor: employeeId}\n"
        "  LDAP Directory: {connector: json, path: target.json}\n"
    )
    return path


def test_discover_prints_each_directory_as_json(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["discover", str(job(tmp_path)), "--json"])
    assert result.exit_code == 0, result.output
    definitions = {d["name"]: d for d in json.loads(result.output)["directories"]}
    assert sorted(definitions) == ["CSV Feed", "LDAP Directory"]
    [worker] = definitions["CSV Feed"]["objects"]
    assert worker["name"] == "Worker"
    assert [a["name"] for a in worker["attributes"]] == ["employeeId", "firstName", "managerId"]
    users = {o["name"]: o for o in definitions["LDAP Directory"]["objects"]}["User"]
    kinds = {a["name"]: (a["type"], a["multivalued"]) for a in users["attributes"]}
    assert kinds == {"id": ("String", False), "mail": ("String", True), "manager": ("Reference", False)}


def test_discover_one_directory_as_text(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["discover", str(job(tmp_path)), "CSV Feed"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[:3] == [
        "CSV Feed",
        "  Worker",
        "    employeeId: String, anchor, required",
    ]
    assert "LDAP Directory" not in result.output


def test_unknown_directory_and_bad_job_are_usage_errors(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["discover", str(job(tmp_path)), "Nope"])
    assert result.exit_code == 2 and "no directory named 'Nope'" in result.output
    (tmp_path / "bad.yaml").write_text("id: x\n")
    assert CliRunner().invoke(main, ["discover", str(tmp_path / "bad.yaml")]).exit_code == 2


def test_a_directory_that_cannot_be_described_exits_1(tmp_path: Path) -> None:
    path = job(tmp_path)
    (tmp_path / "target.json").write_text("{not json")
    result = CliRunner().invoke(main, ["discover", str(path), "LDAP Directory"])
    assert result.exit_code == 1
    assert "target.json:1:2: invalid JSON" in result.output
