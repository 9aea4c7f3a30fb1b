"""Reasons people can act on (issue 17): a create says what matching looked for ("no target object with
userName = 'x'"), a skip or a removal by scope says which clause failed (FilteredOut: the input filter's
clause; NotInScope: each group's failing clause), in the dry-run (text and JSON) and in the provisioning
log (Graph's ``additionalDetails``, and ``idsync logs``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner

import engine
from engine.cli import main

TEMPLATE = Path(engine.__file__).parent / "templates" / "scim.json"


def _clause(attribute: str, value: str) -> dict[str, Any]:
    return {"sourceOperandName": attribute, "operatorName": "EQUALS", "targetOperand": {"values": [value]}}


def _job(folder: Path, users: list[dict[str, Any]]) -> Path:
    schema = json.loads(TEMPLATE.read_text(encoding="utf-8"))["schema"]
    (users_mapping,) = [
        m for m in schema["synchronizationRules"][0]["objectMappings"] if m["sourceObjectName"] == "User"
    ]
    users_mapping["scope"] = {
        "inputFilterGroups": [{"name": "members", "clauses": [_clause("userType", "Member")]}],
        "groups": [
            {"name": "sales", "clauses": [_clause("department", "Sales")]},
            {"name": "paris", "clauses": [_clause("city", "Paris")]},
        ],
    }
    (folder / "schema.json").write_text(json.dumps(schema), encoding="utf-8")
    _source(folder, users)
    job = {
        "id": "reasons",
        "schema": "schema.json",
        "directories": {
            "Azure Active Directory": {"connector": "json", "path": "source.json"},
            "SCIM App": {"connector": "json", "path": "target.json"},
        },
    }
    (folder / "job.json").write_text(json.dumps(job), encoding="utf-8")
    return folder / "job.json"


def _source(folder: Path, users: list[dict[str, Any]]) -> None:
    (folder / "source.json").write_text(json.dumps({"User": users, "Group": []}), encoding="utf-8")


def _user(uid: str, **more: Any) -> dict[str, Any]:
    return {"id": uid, "userPrincipalName": f"{uid}@x.test", "displayName": uid, "mailNickname": uid,
            "accountEnabled": True, "userType": "Member", "department": "Sales", **more}  # fmt: skip


def _invoke(*args: str) -> str:
    result = CliRunner().invoke(main, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_creates_and_skips_say_why(tmp_path: Path) -> None:
    users = [_user("guest", userType="Guest"), _user("far", department="R&D", city="Rome"), _user("ann")]
    job = str(_job(tmp_path, users))
    ops = {op["sourceId"]: op for op in json.loads(_invoke("dry-run", "--json", job))["operations"]}
    assert ops["guest"]["reason"] == "FilteredOut"
    assert (
        ops["guest"]["detail"]
        == "input filter clause userType EQUALS 'Member' is false (userType is 'Guest')"
    )
    assert ops["far"]["reason"] == "NotInScope"
    assert ops["far"]["detail"] == (
        "scoping filter: no group passes (department EQUALS 'Sales' is false (department is 'R&D'); "
        "city EQUALS 'Paris' is false (city is 'Rome'))"
    )
    assert ops["ann"]["reason"] == "no target object with userName = 'ann@x.test'"
    text = _invoke("dry-run", job)
    assert "reason: FilteredOut: input filter clause userType EQUALS 'Member' is false" in text
    assert "reason: no target object with userName = 'ann@x.test'" in text

    _invoke("run", job)
    records = {r["sourceIdentity"]["id"]: r for r in json.loads(_invoke("logs", "--json", job))["value"]}
    info = records["guest"]["provisioningStatusInfo"]["errorInformation"]
    assert info["errorCode"] == "FilteredOut" and "userType EQUALS 'Member'" in info["additionalDetails"]
    matching = [s for s in records["ann"]["provisioningSteps"] if s["provisioningStepType"] == "matching"]
    assert matching[0]["description"] == "Matching: no target object with userName = 'ann@x.test'"
    shown = _invoke("logs", job)
    assert "— no target object with userName = 'ann@x.test'" in shown
    assert "— NotInScope: scoping filter: no group passes" in shown

    _source(tmp_path, [*users[:2], _user("ann", department="R&D")])  # ann leaves the scope: disabled
    _invoke("dry-run", "--output", str(tmp_path / "plan.jsonl"), job)
    lines = (tmp_path / "plan.jsonl").read_text(encoding="utf-8").splitlines()
    (disable,) = [op for op in map(json.loads, lines) if op["sourceId"] == "ann"]
    assert disable["action"] == "disable" and "department is 'R&D'" in disable["detail"]
    _invoke("run", job)
    last = json.loads(_invoke("logs", "--json", job))["value"][-1]
    scoping = [s for s in last["provisioningSteps"] if s["provisioningStepType"] == "scoping"]
    assert "Leaving scope: NotInScope: scoping filter: no group passes" in scoping[0]["description"]


def test_a_disable_by_scope_says_which_clause_in_the_kept_plan(tmp_path: Path) -> None:
    job = str(_job(tmp_path, [_user("ann")]))
    _invoke("run", job)
    _source(tmp_path, [_user("ann", department="R&D")])
    (disable,) = json.loads(_invoke("dry-run", "--json", job))["operations"]
    assert disable["action"] == "disable" and "department is 'R&D'" in disable["detail"]
