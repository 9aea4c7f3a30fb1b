"""A job created through the API runs, end to end, over real HTTP: ``POST jobs {templateId: scim}`` → ``PUT
secrets`` (a real scim2-server's address and token) → ``start`` → users provisioned → the daemon restarted →
the job is still there, still running, its secrets still usable and never readable."""

from __future__ import annotations

import json
import signal
import sqlite3
from pathlib import Path

import httpx

from tests.peers.scim import ScimTenant

from .serve_helpers import USERS, Served, serve_env

SYNC = "/servicePrincipals/local/synchronization"
KEY = "bm90LWEtcmVhbC1rZXktYnV0LTMyLWJ5dGVzLWxvbmc="  # a valid Fernet key


def _serve(folder: Path, key: str | None = KEY) -> Served:
    env = serve_env()
    if key:
        env["IDSYNC_SECRET_KEY"] = key
    args = [
        "--state-dir",
        str(folder / "state"),
        "--directory",
        f"Azure Active Directory={folder / 'entra.yaml'}",
    ]
    served = Served(args, env, folder)
    served.wait_ready()
    return served


def _scim_users(tenant: ScimTenant) -> set[str]:
    response = httpx.get(
        f"{tenant.base_address}/Users", headers={"Authorization": f"Bearer {tenant.token}"}, timeout=10
    )
    response.raise_for_status()
    return {user["userName"] for user in response.json().get("Resources", [])}


def _write_source(folder: Path, users: list[dict[str, object]]) -> None:
    (folder / "source.json").write_text(json.dumps({"User": users, "Group": []}))


def test_a_job_created_through_the_api_provisions_and_outlives_a_restart(
    tmp_path: Path, scim_tenant: ScimTenant
) -> None:
    _write_source(tmp_path, USERS[:3])
    (tmp_path / "entra.yaml").write_text("connector: json\npath: source.json\n")
    served = _serve(tmp_path)
    try:
        created = served.client.post(f"{SYNC}/jobs", json={"templateId": "scim"})
        assert created.status_code == 201, created.text
        job_id = created.json()["id"]
        job = f"{SYNC}/jobs/{job_id}"
        assert created.json()["status"]["code"] == "NotConfigured"
        refused = served.client.post(f"{job}/start")
        assert refused.status_code == 400 and "SecretToken" in refused.json()["error"]["message"]

        secrets = [
            {"key": "BaseAddress", "value": scim_tenant.base_address},
            {"key": "SecretToken", "value": scim_tenant.token},
        ]
        assert served.client.put(f"{SYNC}/secrets", json={"value": secrets}).status_code == 204
        configured = served.client.get(job).json()
        assert configured["status"]["code"] == "NotRun"
        assert configured["schedule"]["state"] == "Disabled"  # configured, waiting for start (as in Entra)
        assert (
            served.client.post(
                f"{SYNC}/jobs/validateCredentials", json={"templateId": "scim", "useSavedCredentials": True}
            ).status_code
            == 204
        )

        assert served.client.post(f"{job}/start").status_code == 204
        expected = {str(u["userPrincipalName"]) for u in USERS[:3]}
        served.wait_for(lambda: _scim_users(scim_tenant) == expected, what="the users in the SCIM app")
        served.wait_for(
            lambda: served.client.get(job).json()["status"]["code"] == "Active", what="an Active job"
        )
        listed = served.client.get(f"{SYNC}/secrets").json()["value"]
        assert sorted(p["key"] for p in listed) == ["BaseAddress", "SecretToken"]
        assert all(p["value"] == "" for p in listed)
    finally:
        assert served.stop(signal.SIGTERM) == 0, served.output()
    first_log = served.output()

    # secrets never in clear at rest: not in the daemon's database, not in the job's state, not in the log
    for path in (tmp_path / "state").iterdir():
        assert scim_tenant.token.encode() not in path.read_bytes(), path
    assert scim_tenant.token not in first_log
    with sqlite3.connect(tmp_path / "state" / "idsync-daemon.db") as db:
        assert db.execute("SELECT count(*) FROM secrets").fetchone() == (2,)

    # restarted: the job is there, started, bound with the stored secrets, and provisions a new user
    _write_source(tmp_path, USERS[:4])
    served = _serve(tmp_path)
    try:
        again = served.client.get(job)
        assert again.status_code == 200 and again.json()["templateId"] == "scim"
        assert again.json()["schedule"]["state"] == "Active"
        expected.add(str(USERS[3]["userPrincipalName"]))
        served.wait_for(lambda: _scim_users(scim_tenant) == expected, what="the new user after the restart")
        assert scim_tenant.token not in served.output()
    finally:
        assert served.stop(signal.SIGTERM) == 0, served.output()


def test_secrets_are_refused_without_a_key(tmp_path: Path) -> None:
    _write_source(tmp_path, USERS[:1])
    (tmp_path / "entra.yaml").write_text("connector: json\npath: source.json\n")
    served = _serve(tmp_path, key=None)
    try:
        put = {"value": [{"key": "SecretToken", "value": "never-stored-token"}]}
        refused = served.client.put(f"{SYNC}/secrets", json=put)
        assert refused.status_code == 400
        assert "IDSYNC_SECRET_KEY" in refused.json()["error"]["message"]
        assert served.client.get(f"{SYNC}/secrets").json()["value"] == []
    finally:
        assert served.stop(signal.SIGTERM) == 0, served.output()
    assert b"never-stored-token" not in (tmp_path / "state" / "idsync-daemon.db").read_bytes()
