"""Template overlays: a job file's ``mappings:`` and ``scope:`` over its template, what ``run`` writes with
them, ``idsync schema JOB`` (the effective schema), and their errors pointing into the job file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml
from click.testing import CliRunner

import engine
from engine.cli import main

from .corpus import SOURCE

USER = "urn:ietf:params:scim:schemas:core:2.0:User"


def write(folder: Path, **overlay: Any) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "source.json").write_text(json.dumps(SOURCE))
    job = {
        "id": "overlay",
        "template": "scim",
        "directories": {
            "Azure Active Directory": {"connector": "json", "path": "source.json"},
            "SCIM App": {"connector": "json", "path": "target.json"},
        },
        **overlay,
    }
    path = folder / "job.yaml"
    path.write_text(yaml.safe_dump(job, sort_keys=False))
    return path


def test_mappings_and_scope_change_what_a_cycle_writes(tmp_path: Path) -> None:
    job = write(
        tmp_path,
        mappings=[
            {
                "object": "User",
                "target": "displayName",
                "expression": 'Join(" ", [givenName], [displayName])',
            },
            {"object": "User", "target": "title", "remove": True},
            {
                "object": "User",
                "target": "externalId",
                "expression": "[mailNickname]",
                "flowType": "ObjectAddOnly",
            },
        ],
        scope=[{"object": "User", "attribute": "givenName", "operator": "EQUALS", "values": ["Bo"]}],
    )
    result = CliRunner().invoke(main, ["run", str(job)])
    assert result.exit_code == 0, result.output
    (user,) = json.loads((tmp_path / "target.json").read_text())[USER]
    assert user["displayName"] == "Bo Two" and user["externalId"] == "u2"  # u1 (Ada) is out of scope
    schema = json.loads(CliRunner().invoke(main, ["schema", str(job)]).stdout)
    users = schema["synchronizationRules"][0]["objectMappings"][0]
    targets = {m["targetAttributeName"]: m for m in users["attributeMappings"]}
    assert "title" not in targets and targets["externalId"]["flowType"] == "ObjectAddOnly"
    assert targets["displayName"]["source"]["name"] == "Join"  # Graph's structured form: Entra takes it
    assert {
        "operatorName": "EQUALS",
        "sourceOperandName": "givenName",
        "targetOperand": {"values": ["Bo"]},
    } in (users["scope"]["groups"][0]["clauses"])
    assert engine.load_schema(schema) == engine.load_job(job).schema


def test_overlay_errors_point_into_the_job_file(tmp_path: Path) -> None:
    cases = [
        ({"object": "User", "target": "displayName", "expression": "Joinn([givenName])"}, "Join"),
        ({"object": "Usr", "target": "displayName", "expression": "[givenName]"}, "User"),
        ({"object": "User", "target": "displayNme", "expression": "[givenName]"}, "displayName"),
        ({"object": "User", "target": "displayName", "expresion": "[givenName]"}, "expression"),
        ({"object": "User", "target": "nickName", "remove": True}, None),
    ]
    for entry, suggestion in cases:
        job = write(tmp_path / str(len(str(entry))), mappings=[entry])
        run = CliRunner().invoke(main, ["run", str(job)])
        assert run.exit_code == 2 and f"{job}:" in run.stderr and "mappings[0]" in run.stderr, run.output
        assert suggestion is None or f"did you mean '{suggestion}'" in run.stderr
        (finding,) = [f for f in engine.validate(job) if f.severity == "error"]
        assert finding.path.startswith("mappings[0]") and finding.message in run.stderr
        assert finding.line is not None and f"{job}:{finding.line}:" in run.stderr
    scope = write(tmp_path / "scope", scope=[{"object": "User", "attribute": "a", "operator": "EQUAL"}])
    run = CliRunner().invoke(main, ["run", str(scope)])
    assert run.exit_code == 2 and "scope[0].operator" in run.stderr and "did you mean 'EQUALS'" in run.stderr


def test_validate_checks_the_schema_the_overlay_makes(tmp_path: Path) -> None:
    job = write(tmp_path, mappings=[{"object": "User", "target": "displayName", "expression": "[givenNmae]"}])
    (finding,) = [f for f in engine.validate(job) if f.severity == "error"]
    assert "[givenNmae]" in finding.message and finding.suggestion == "givenName"
    assert "mappings and scope" in str(finding.file)
