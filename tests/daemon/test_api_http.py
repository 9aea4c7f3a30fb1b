"""Graph's synchronization API of a running ``idsync serve`` over real HTTP, against the real engine:
the spec's request / response examples (parseExpression's documented round trip), provisionOnDemand,
restart, schema put / delete, secrets that never reach the state or the log, audit-log paging."""

from __future__ import annotations

import json
import signal
from collections.abc import Iterator
from typing import Any

import pytest

import engine

from .serve_helpers import USERS, Served, serve_env, write_job

BASE = "/servicePrincipals/local/synchronization"
JOB = f"{BASE}/jobs/api-demo"
SECRET = "s3cr3t-value-that-must-never-be-stored"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    folder = tmp_path_factory.mktemp("api")
    write_job(folder, "api-demo", interval="PT40M")  # one cycle at start, then none: a stable state
    server = Served([str(folder), "--log-json"], serve_env(), folder)
    try:
        server.wait_ready()
        server.wait_for(
            lambda: (server.client.get(JOB).json()["status"].get("lastSuccessfulExecution") or {}).get(
                "timeEnded"
            ),
            what="the first cycle",
        )
        yield server
    finally:
        assert server.stop(signal.SIGTERM) == 0, server.output()


def test_parse_expression_documented_round_trip(served: Served) -> None:
    request = {
        "expression": 'Replace([preferredLanguage], "-", , , "_", ,  )',
        "testInputObject": {
            "definition": None,
            "properties": [{"key": "preferredLanguage", "value": "EN-US"}],
        },
    }
    body = served.client.post(f"{JOB}/schema/parseExpression", json=request).json()
    assert body["parsingSucceeded"] and body["evaluationSucceeded"]
    assert body["evaluationResult"] == ["EN_US"]


def test_jobs_list_shape(served: Served) -> None:
    jobs = served.client.get(f"{BASE}/jobs").json()["value"]
    assert [j["id"] for j in jobs] == ["api-demo"]
    status = jobs[0]["status"]
    for key in (
        "code",
        "lastExecution",
        "lastSuccessfulExecution",
        "countSuccessiveCompleteFailures",
        "quarantine",
        "synchronizedEntryCountByType",
        "steadyStateFirstAchievedTime",
        "progress",
    ):
        assert key in status
    assert status["lastExecution"]["countExported"] == len(USERS)
    # The shape is Graph's: the schema package's synchronizationJob model reads it back field by field.
    model = engine.SynchronizationJob.model_validate(jobs[0])
    assert model.schedule is not None and model.schedule.interval == "PT40M"
    assert model.status is not None and model.status.last_execution is not None
    assert model.status.last_execution.count_exported == len(USERS)


def test_provision_on_demand_of_a_real_object(served: Served) -> None:
    body = {"parameters": [{"ruleId": "x", "subjects": [{"objectId": "u1", "objectTypeName": "User"}]}]}
    response = served.client.post(f"{JOB}/provisionOnDemand", json=body)
    assert response.status_code == 200, response.text
    pair = response.json()
    assert json.loads(pair["key"])["result"] in ("Success", "Skipped")
    record = json.loads(pair["value"])
    assert record["jobId"] == "api-demo" and record["sourceIdentity"]["id"] == "u1"
    body["parameters"][0]["subjects"][0]["objectId"] = "ghost"
    missing = served.client.post(f"{JOB}/provisionOnDemand", json=body)
    assert missing.status_code == 404 and "ghost" in missing.json()["error"]["message"]


def test_secrets_never_reach_the_state_or_the_log(served: Served) -> None:
    put = {"value": [{"key": "SecretToken", "value": SECRET}]}
    assert served.client.put(f"{BASE}/secrets", json=put).status_code == 204
    got = served.client.get(f"{BASE}/secrets")
    assert got.json() == {"value": [{"key": "SecretToken", "value": ""}]}
    folder = served.log.parent
    for path in folder.iterdir():
        if path.is_file() and path != served.log:
            assert SECRET.encode() not in path.read_bytes(), path
    assert SECRET not in served.output()


def test_audit_logs_filter_and_paging(served: Served) -> None:
    everything: list[dict[str, Any]] = []
    link: str | None = "/auditLogs/provisioning?$top=2&$filter=jobId eq 'api-demo'"
    while link:
        page = served.client.get(link).json()
        assert len(page["value"]) <= 2
        everything += page["value"]
        link = page.get("@odata.nextLink")
    creates = [r for r in everything if r["provisioningAction"] == "create"]
    assert {r["sourceIdentity"]["id"] for r in creates} == {u["id"] for u in USERS}
    cycle = creates[0]["cycleId"]
    by_cycle = served.client.get(
        "/auditLogs/provisioning", params={"$filter": f"cycleId eq '{cycle}'"}
    ).json()
    assert {r["cycleId"] for r in by_cycle["value"]} == {cycle}
    none = served.client.get(
        "/auditLogs/provisioning", params={"$filter": "activityDateTime lt 2000-01-01T00:00:00Z"}
    ).json()
    assert none["value"] == []


def test_schema_get_put_invalid_and_delete(served: Served) -> None:
    schema = served.client.get(f"{JOB}/schema").json()
    assert schema["synchronizationRules"][0]["targetDirectoryName"] == "SCIM App"
    bad = json.loads(json.dumps(schema))
    bad["synchronizationRules"][0]["objectMappings"][0]["attributeMappings"][0]["source"] = {"type": 42}
    response = served.client.put(f"{JOB}/schema", json=bad)
    assert response.status_code == 400
    assert "synchronizationRules[0].objectMappings[0].attributeMappings[0].source" in response.text
    unbound = json.loads(json.dumps(schema))
    unbound["synchronizationRules"][0]["targetDirectoryName"] = "Elsewhere"
    response = served.client.put(f"{JOB}/schema", json=unbound)
    assert response.status_code == 400
    assert "directories with no connector" in response.json()["error"]["message"]
    assert "Elsewhere" in response.json()["error"]["message"]
    assert served.client.put(f"{JOB}/schema", json=schema).status_code == 204
    assert served.client.delete(f"{JOB}/schema").status_code == 204
    assert served.client.get(f"{JOB}/schema").json() == schema


def test_restart_with_a_scope_and_pause_start(served: Served) -> None:
    assert (
        served.client.post(f"{JOB}/restart", json={"criteria": {"resetScope": "Watermark"}}).status_code
        == 204
    )
    assert served.client.post(f"{JOB}/pause").status_code == 204
    assert served.client.get(JOB).json()["status"]["code"] == "Paused"
    assert served.client.post(f"{JOB}/start").status_code == 204
    assert served.client.get(JOB).json()["status"]["code"] != "Paused"


def test_discover_describes_a_directory_through_its_connector(served: Served) -> None:
    response = served.client.post(f"{JOB}/schema/directories/Azure Active Directory/discover")
    assert response.status_code == 200, response.text
    definition = response.json()
    assert definition["name"] == "Azure Active Directory"
    assert definition["discoveryDateTime"].endswith("Z")
    user = next(o for o in definition["objects"] if o["name"] == "User")
    assert {"userPrincipalName", "displayName"} <= {a["name"] for a in user["attributes"]}
    missing = served.client.post(f"{JOB}/schema/directories/Nowhere/discover")
    assert missing.status_code == 404 and "Azure Active Directory" in missing.json()["error"]["message"]
