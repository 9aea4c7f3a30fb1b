"""``idsync serve`` as a real subprocess, spoken to over real HTTP (fast TestClient tests: tests/api)."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
from pathlib import Path

import pytest

import engine

from .serve_helpers import IDSYNC, Served, serve_env, write_job

BASE = "/servicePrincipals/local/synchronization"
USER_TYPE = "urn:ietf:params:scim:schemas:core:2.0:User"

needs_engine = pytest.mark.skipif(
    not hasattr(engine, "SyncEngine"),
    reason="engine.SyncEngine (issue 3, the engine core) has not landed yet",
)


def test_serve_refuses_to_start_without_a_token(tmp_path: Path) -> None:
    job = write_job(tmp_path)
    done = subprocess.run(
        [*IDSYNC, "serve", str(job)], env=serve_env(None), capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 2
    assert "IDSYNC_API_TOKEN" in done.stderr
    assert "Traceback" not in done.stderr


def test_no_auth_binds_loopback_only(tmp_path: Path) -> None:
    job = write_job(tmp_path)
    done = subprocess.run(
        [*IDSYNC, "serve", "--no-auth", "--host", "0.0.0.0", str(job)],
        env=serve_env(None),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "loopback only" in done.stderr


def test_a_broken_job_file_is_named_with_its_position(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: bad\ntemplate: scim\nschedule: every minute\ndirectories: {}\n")
    done = subprocess.run(
        [*IDSYNC, "serve", str(bad)], env=serve_env(), capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 2  # as for `idsync run`: a wrong job file is a usage error
    assert str(bad) in done.stderr and "Traceback" not in done.stderr


@needs_engine
def test_serve_cycles_the_job_and_answers_graphs_api(tmp_path: Path) -> None:
    write_job(tmp_path)
    served = Served([str(tmp_path)], serve_env(), tmp_path)
    try:
        served.wait_ready()
        assert "idsync listening on http://127.0.0.1:" in served.output()
        unauthorised = served.client.get(f"{BASE}/jobs", headers={"Authorization": ""})
        assert unauthorised.status_code == 401
        assert unauthorised.json()["error"]["code"] == "InvalidAuthenticationToken"

        def finished() -> dict[str, object] | None:
            job = served.client.get(f"{BASE}/jobs/http-demo").json()
            last = job["status"].get("lastSuccessfulExecution") or {}
            return job if last.get("timeEnded") else None

        job = served.wait_for(finished, what="the first successful cycle")
        assert job["schedule"]["interval"] == "PT1S"
        target = json.loads((tmp_path / "http-demo-target.json").read_text())
        names = sorted(u.get("userName") for objects in target.values() for u in objects)
        assert names == [f"user{n}@contoso.test" for n in range(1, 6)]

        logs = served.client.get("/auditLogs/provisioning", params={"$filter": "jobId eq 'http-demo'"}).json()
        assert {r["provisioningAction"] for r in logs["value"]} >= {"create"}
        metrics = served.client.get("/metrics").text
        assert 'idsync_cycles_total{job="http-demo",outcome="succeeded"}' in metrics

        assert served.client.post(f"{BASE}/jobs/http-demo/pause").status_code == 204
        paused = served.client.get(f"{BASE}/jobs/http-demo").json()
        assert paused["status"]["code"] == "Paused" and paused["schedule"]["state"] == "Paused"
        assert served.client.post(f"{BASE}/jobs/nope/start").status_code == 404
    finally:
        code = served.stop(signal.SIGTERM)
    assert code == 0, served.output()
    assert "Traceback" not in served.output()


@needs_engine
def test_sigint_also_exits_zero(tmp_path: Path) -> None:
    write_job(tmp_path, interval="PT40M")
    served = Served([str(tmp_path)], serve_env(), tmp_path)
    try:
        served.wait_ready()
    finally:
        code = served.stop(signal.SIGINT)
    assert code == 0, served.output()


def test_a_taken_port_is_refused_before_any_job_starts(tmp_path: Path) -> None:
    job = write_job(tmp_path)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run(
            [*IDSYNC, "serve", "--port", str(port), str(job)],
            env=serve_env(),
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert done.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}" in done.stderr
    assert not (tmp_path / "http-demo.state.db").exists()  # no job was started


@needs_engine
def test_sigterm_mid_cycle_commits_the_batch_and_the_next_cycle_completes(tmp_path: Path) -> None:
    users = [
        {
            "id": f"u{n}",
            "userPrincipalName": f"user{n}@contoso.test",
            "displayName": f"User {n}",
            "mailNickname": f"user{n}",
            "accountEnabled": True,
        }
        for n in range(1, 4001)
    ]
    (tmp_path / "source.json").write_text(json.dumps({"User": users, "Group": []}))
    job = tmp_path / "big.yaml"
    job.write_text(
        json.dumps(
            {
                "id": "big",
                "template": "scim",
                "schedule": "PT40M",
                "settings": {"batchSize": 2, "pageSize": 10},
                "directories": {
                    "Azure Active Directory": {"connector": "json", "path": "source.json"},
                    "SCIM App": {"connector": "json", "path": "target.json"},
                },
            }
        )
    )
    target = tmp_path / "target.json"

    def written() -> int:
        return len(json.loads(target.read_text()).get(USER_TYPE, [])) if target.exists() else 0

    served = Served([str(job)], serve_env(), tmp_path)
    try:
        served.wait_ready()
        # the json target journals each batch beside the file and rewrites the file when the cycle ends
        journal = target.with_name(target.name + ".journal")
        served.wait_for(
            lambda: written() > 0 or (journal.exists() and journal.stat().st_size > 0),
            poll=0.02,
            what="the first writes",
        )
    finally:
        code = served.stop(signal.SIGTERM)
    assert code == 0, served.output()
    with engine.SyncEngine(engine.load_job(job)) as sync:
        last = sync.cycles(limit=1)[0]
        assert last["stopped"] is True, last  # the cycle saw the stop request and ended after its batch
        assert 0 < written() < len(users)
        report = sync.run_cycle()
        assert report.succeeded and not report.stopped
    names = [u["userName"] for u in json.loads(target.read_text())[USER_TYPE]]
    assert sorted(names) == sorted(u["userPrincipalName"] for u in users)


def test_a_schema_put_outlives_the_daemon_until_it_is_deleted(tmp_path: Path) -> None:
    """Graph's PUT .../schema is the job's schema from then on (kept in the job's state, not in memory): a
    restarted daemon still runs it, and DELETE .../schema goes back to the job file's."""
    write_job(tmp_path, "kept", interval="PT40M")
    job = "/servicePrincipals/local/synchronization/jobs/kept"

    first = Served([str(tmp_path)], serve_env(), tmp_path)
    try:
        first.wait_ready()
        original = first.client.get(f"{job}/schema").json()
        changed = json.loads(json.dumps(original))
        users = changed["synchronizationRules"][0]["objectMappings"][0]
        users["attributeMappings"] = [
            m for m in users["attributeMappings"] if m["targetAttributeName"] != "title"
        ]
        assert first.client.put(f"{job}/schema", json=changed).status_code == 204
    finally:
        assert first.stop() == 0, first.output()

    second = Served([str(tmp_path)], serve_env(), tmp_path)
    try:
        second.wait_ready()
        assert second.client.get(f"{job}/schema").json() == changed
        assert second.client.delete(f"{job}/schema").status_code == 204
        assert second.client.get(f"{job}/schema").json() == original
    finally:
        assert second.stop() == 0, second.output()

    third = Served([str(tmp_path)], serve_env(), tmp_path)
    try:
        third.wait_ready()
        assert third.client.get(f"{job}/schema").json() == original
    finally:
        assert third.stop() == 0, third.output()
