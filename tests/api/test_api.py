"""The REST API through FastAPI's TestClient over a daemon of fake engines: paths, shapes, auth, errors."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient

from engine.daemon import Daemon

from .conftest import BASE
from .fakes import FakeEngine, log_record


def test_requests_without_a_token_get_401_in_graphs_error_shape(client: TestClient) -> None:
    for headers in ({"Authorization": ""}, {"Authorization": "Bearer wrong"}, {"Authorization": "Basic x"}):
        response = client.get(f"{BASE}/jobs", headers=headers)
        assert response.status_code == 401
        assert response.headers["www-authenticate"] == "Bearer"
        error = response.json()["error"]
        assert error["code"] == "InvalidAuthenticationToken"
        assert error["message"]
    assert client.get("/metrics", headers={"Authorization": ""}).status_code == 401


def test_the_openapi_document_is_served_and_lists_graphs_paths(client: TestClient) -> None:
    paths = client.get("/openapi.json", headers={"Authorization": ""}).json()["paths"]
    for path in (
        "/servicePrincipals/{principal}/synchronization/jobs",
        "/servicePrincipals/{principal}/synchronization/jobs/{job_id}/restart",
        "/servicePrincipals/{principal}/synchronization/jobs/{job_id}/schema/parseExpression",
        "/servicePrincipals/{principal}/synchronization/secrets",
        "/auditLogs/provisioning",
    ):
        assert path in paths


def test_jobs_list_and_get_in_graphs_shape(client: TestClient) -> None:
    jobs = client.get(f"{BASE}/jobs").json()["value"]
    assert [j["id"] for j in jobs] == ["alpha", "beta"]
    job = client.get(f"{BASE}/jobs/alpha").json()
    assert job["schedule"] == {"expiration": None, "interval": "P365D", "state": "Active"}
    assert job["status"]["code"] == "NotRun"
    assert {"name": "deleteThreshold", "value": "500"} in job["synchronizationJobSettings"]


def test_unknown_job_and_principal_are_404(client: TestClient) -> None:
    response = client.get(f"{BASE}/jobs/nope")
    assert response.status_code == 404
    assert response.json()["error"] == {
        "code": "ResourceNotFound",
        "message": "no synchronization job 'nope' on service principal 'local'",
    }
    assert client.get("/servicePrincipals/other/synchronization/jobs").status_code == 404
    assert client.post(f"{BASE}/jobs/nope/start").status_code == 404
    assert client.get("/no/such/route").json()["error"]["code"] == "ResourceNotFound"


def test_start_pause_restart_reach_the_engine(client: TestClient, engines: dict[str, FakeEngine]) -> None:
    assert client.post(f"{BASE}/jobs/alpha/pause").status_code == 204
    assert client.get(f"{BASE}/jobs/alpha").json()["schedule"]["state"] == "Paused"
    assert client.post(f"{BASE}/jobs/alpha/start").status_code == 204
    body = {"criteria": {"resetScope": "Watermark, escrows"}}
    assert client.post(f"{BASE}/jobs/alpha/restart", json=body).status_code == 204
    assert client.post(f"{BASE}/jobs/alpha/restart").status_code == 204
    assert engines["alpha"].calls == [
        ("pause",),
        ("start",),
        ("restart", frozenset({"Watermark", "Escrows"})),
        ("restart", frozenset({"Watermark", "Escrows", "QuarantineState"})),
    ]


def test_bad_bodies_are_400_naming_the_field_path(client: TestClient) -> None:
    response = client.post(f"{BASE}/jobs/alpha/restart", json={"criteria": {"resetScope": "Everything"}})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "BadRequest"
    assert "body.criteria.resetScope" in error["message"]
    assert "unknown reset scope 'Everything'" in error["message"]
    response = client.post(f"{BASE}/jobs/alpha/provisionOnDemand", json={"parameters": [{"subjects": [{}]}]})
    assert response.status_code == 400
    assert response.json()["error"]["details"][0]["target"] == "body.parameters[0].subjects[0].objectId"
    response = client.post(
        f"{BASE}/jobs/alpha/provisionOnDemand",
        content=b"{not json",
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 400


def test_provision_on_demand_returns_graphs_key_value_pair(client: TestClient) -> None:
    body = {"parameters": [{"ruleId": "r", "subjects": [{"objectId": "u1", "objectTypeName": "User"}]}]}
    response = client.post(f"{BASE}/jobs/alpha/provisionOnDemand", json=body)
    assert response.status_code == 200
    pair = response.json()
    assert pair["@odata.type"] == "#microsoft.graph.stringKeyStringValuePair"
    import json

    assert json.loads(pair["key"]) == {"result": "Success", "details": {}}
    assert json.loads(pair["value"])["sourceIdentity"]["id"] == "u1"
    body["parameters"][0]["subjects"][0]["objectId"] = "ghost"
    missing = client.post(f"{BASE}/jobs/alpha/provisionOnDemand", json=body)
    assert missing.status_code == 404
    assert missing.json()["error"]["message"] == "the source holds no object 'ghost'"


def test_validate_credentials_is_204(client: TestClient, engines: dict[str, FakeEngine]) -> None:
    assert (
        client.post(f"{BASE}/jobs/beta/validateCredentials", json={"useSavedCredentials": True}).status_code
        == 204
    )
    assert ("validate_credentials",) in engines["beta"].calls
    engines["beta"].bad_credentials = True
    response = client.post(f"{BASE}/jobs/beta/validateCredentials")
    assert response.status_code == 400
    assert response.json()["error"] == {
        "code": "CredentialsInvalid",
        "message": "credentials are not valid: SCIM App: 401 Unauthorized (check SecretToken)",
    }


def test_secrets_put_replaces_all_and_get_returns_keys_only(client: TestClient, daemon: Daemon) -> None:
    put = {
        "value": [{"key": "BaseAddress", "value": "https://scim"}, {"key": "SecretToken", "value": "s3cr3t"}]
    }
    assert client.put(f"{BASE}/secrets", json=put).status_code == 204
    got = client.get(f"{BASE}/secrets")
    assert got.json() == {"value": [{"key": "BaseAddress", "value": ""}, {"key": "SecretToken", "value": ""}]}
    assert "s3cr3t" not in got.text and "s3cr3t" not in repr(daemon.secrets)
    assert (
        client.put(f"{BASE}/secrets", json={"value": [{"key": "Password", "value": "p"}]}).status_code == 204
    )
    assert [p["key"] for p in client.get(f"{BASE}/secrets").json()["value"]] == ["Password"]
    assert client.put(f"{BASE}/secrets", json={"value": [{"value": "no key"}]}).status_code == 400


def test_job_schema_get_and_invalid_put(client: TestClient) -> None:
    assert client.get(f"{BASE}/jobs/alpha/schema").json()["id"] == "s1"
    response = client.put(f"{BASE}/jobs/alpha/schema", json={"synchronizationRules": [{"priority": "high"}]})
    assert response.status_code == 400
    assert response.json()["error"]["details"][0]["target"].startswith("body.synchronizationRules[0]")


def test_schema_put_swaps_the_schema_and_resyncs(client: TestClient, engines: dict[str, FakeEngine]) -> None:
    old = engines["alpha"]
    assert (
        client.put(f"{BASE}/jobs/alpha/schema", json={"id": "s2", "synchronizationRules": []}).status_code
        == 204
    )
    assert ("close",) in old.calls
    assert engines["alpha"] is not old
    assert engines["alpha"].calls == [("restart", frozenset({"Watermark"}))]
    assert client.get(f"{BASE}/jobs/alpha/schema").json()["id"] == "s2"


def test_delete_job_stops_and_forgets_it(client: TestClient, engines: dict[str, FakeEngine]) -> None:
    assert client.delete(f"{BASE}/jobs/beta").status_code == 204
    assert ("close",) in engines["beta"].calls
    assert client.get(f"{BASE}/jobs/beta").status_code == 404
    assert [j["id"] for j in client.get(f"{BASE}/jobs").json()["value"]] == ["alpha"]


def test_a_job_created_without_a_state_folder_is_not_configured(client: TestClient) -> None:
    response = client.post(f"{BASE}/jobs", json={"templateId": "scim"})
    assert response.status_code == 201
    job = response.json()
    assert job["id"].startswith("scim.") and len(job["id"]) == len("scim.") + 32
    assert job["templateId"] == "scim"
    assert job["status"]["code"] == "NotConfigured"
    assert job["schedule"]["state"] == "Disabled"
    assert job["status"]["steadyStateFirstAchievedTime"] == "0001-01-01T00:00:00Z"
    assert job["id"] in [j["id"] for j in client.get(f"{BASE}/jobs").json()["value"]]
    path = f"{BASE}/jobs/{job['id']}"
    template_schema = client.get(f"{BASE}/templates/scim/schema").json()
    assert client.get(f"{path}/schema").json() == template_schema

    refused = client.post(f"{path}/start")
    assert refused.status_code == 400
    assert "serve with --state-dir DIR" in refused.json()["error"]["message"]
    assert client.post(f"{path}/restart").status_code == 400
    assert client.post(f"{path}/pause").status_code == 204

    changed = dict(template_schema, synchronizationRules=[])
    assert client.put(f"{path}/schema", json=changed).status_code == 204
    assert client.get(f"{path}/schema").json()["synchronizationRules"] == []
    assert client.delete(f"{path}/schema").status_code == 204
    assert client.get(f"{path}/schema").json() == template_schema
    assert client.delete(path).status_code == 204
    assert client.get(path).status_code == 404


def test_creating_a_job_needs_a_known_template(client: TestClient) -> None:
    response = client.post(f"{BASE}/jobs", json={"templateId": "nope"})
    assert response.status_code == 404
    assert response.json()["error"]["details"][0]["target"] == "body.templateId"
    assert client.post(f"{BASE}/jobs", json={}).status_code == 400


def test_audit_logs_filter_and_paging(client: TestClient, engines: dict[str, FakeEngine]) -> None:
    t0 = datetime(2026, 3, 1, tzinfo=UTC)
    engines["alpha"].records = [log_record("alpha", "c1", n, t0 + timedelta(minutes=n)) for n in range(5)]
    engines["beta"].records = [
        log_record("beta", "c9", n, t0 + timedelta(minutes=n, seconds=30)) for n in range(3)
    ]
    everything = client.get("/auditLogs/provisioning").json()["value"]
    assert len(everything) == 8
    times = [r["activityDateTime"] for r in everything]
    assert times == sorted(times, reverse=True)

    only_beta = client.get("/auditLogs/provisioning", params={"$filter": "jobId eq 'beta'"}).json()["value"]
    assert {r["jobId"] for r in only_beta} == {"beta"} and len(only_beta) == 3
    by_cycle = client.get("/auditLogs/provisioning", params={"$filter": "cycleId eq 'c1'"}).json()["value"]
    assert len(by_cycle) == 5
    recent = client.get(
        "/auditLogs/provisioning",
        params={"$filter": "activityDateTime ge 2026-03-01T00:03:00Z and jobId eq 'alpha'"},
    ).json()["value"]
    assert [r["id"] for r in recent] == ["alpha-c1-4", "alpha-c1-3"]

    first = client.get("/auditLogs/provisioning", params={"$top": 3}).json()
    assert len(first["value"]) == 3
    seen = [r["id"] for r in first["value"]]
    link = first["@odata.nextLink"]
    while link:
        page = client.get(link).json()
        seen += [r["id"] for r in page["value"]]
        link = page.get("@odata.nextLink")
    assert seen == [r["id"] for r in everything]


def test_audit_logs_bad_filter_is_400_with_the_column(client: TestClient) -> None:
    response = client.get("/auditLogs/provisioning", params={"$filter": "jobId eq 'a' or cycleId eq 'b'"})
    assert response.status_code == 400
    assert response.json()["error"]["message"] == (
        "$filter, column 14: expected 'and', found 'or' (only 'and' joins clauses)"
    )
    assert client.get("/auditLogs/provisioning", params={"$top": 0}).status_code == 400


def test_a_cycle_feeds_the_metrics(client: TestClient, daemon: Daemon) -> None:
    daemon.run_now(daemon.get("local", "alpha"))
    text = client.get("/metrics").text
    assert 'idsync_cycles_total{job="alpha",outcome="succeeded"} 1.0' in text
    assert 'idsync_objects_processed_total{action="create",job="alpha"} 3.0' in text
    assert 'idsync_errors_total{job="alpha",kind="escrow"} 1.0' in text
    assert 'idsync_escrows{job="alpha"} 1.0' in text
    assert 'idsync_cycle_duration_seconds_count{job="alpha"} 1.0' in text


def test_paused_job_does_not_cycle(
    client: TestClient, daemon: Daemon, engines: dict[str, FakeEngine]
) -> None:
    client.post(f"{BASE}/jobs/alpha/pause")
    daemon.run_now(daemon.get("local", "alpha"))
    assert not any(call[0] == "run_cycle" for call in engines["alpha"].calls)


def test_status_page_is_served_without_data(client: TestClient) -> None:
    page = client.get("/", headers={"Authorization": ""})
    assert page.status_code == 200
    assert "<title>idsync console</title>" in page.text
    assert '<body data-auth="true">' in page.text
    assert "data-job" not in page.text and "alpha" not in page.text
    script = client.get("/console.js", headers={"Authorization": ""})
    assert script.status_code == 200 and script.headers["content-type"].startswith("text/javascript")
    assert client.get("/console.css", headers={"Authorization": ""}).status_code == 200


def test_reads_answer_while_a_cycle_runs(
    client: TestClient, daemon: Daemon, engines: dict[str, FakeEngine]
) -> None:
    engine = engines["alpha"]
    engine.release.clear()
    runner = threading.Thread(target=daemon.run_now, args=(daemon.get("local", "alpha"),))
    runner.start()
    try:
        assert engine.cycle_started.wait(5)
        began = time.monotonic()
        job = client.get(f"{BASE}/jobs/alpha")
        assert job.status_code == 200
        (progress,) = job.json()["status"]["progress"]
        assert progress["completedUnits"] == 40 and progress["totalUnits"] == 200
        assert progress["units"].startswith("User")
        assert client.get("/metrics").text.count('idsync_cycle_running{job="alpha"} 1.0') == 1
        assert time.monotonic() - began < 2  # not held behind the cycle's lock
    finally:
        engine.release.set()
        runner.join(10)
    assert client.get(f"{BASE}/jobs/alpha").json()["status"].get("progress") is None  # the fake keeps none
