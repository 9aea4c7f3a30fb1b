"""What Graph's official clients send, through TestClient: versioned base URLs, bound-function
parentheses, PATCH on a schema, ``$count``, collection-level validateCredentials, enum-safe metadata.
(``tests/daemon/test_msgraph_sdk.py`` drives the same through msgraph-sdk over real HTTP.)"""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from engine.api import create_app
from engine.daemon import Daemon, DaemonHome, SecretCipher, SecretKeyMissing, generate_key

from .conftest import AUTH, BASE


@pytest.mark.parametrize("prefix", ["", "/v1.0", "/beta"])
def test_the_api_answers_under_each_graph_version(client: TestClient, prefix: str) -> None:
    jobs = client.get(f"{prefix}{BASE}/jobs")
    assert jobs.status_code == 200 and [j["id"] for j in jobs.json()["value"]] == ["alpha", "beta"]
    assert client.get(f"{prefix}/auditLogs/provisioning").status_code == 200
    assert client.get(f"{prefix}{BASE}/jobs", headers={"Authorization": ""}).status_code == 401
    assert client.get(f"/v2.0{BASE}/jobs").status_code == 404


def test_count_segment_and_count_option(client: TestClient) -> None:
    count = client.get(f"{BASE}/jobs/$count")
    assert count.status_code == 200 and count.text == "2"
    assert count.headers["content-type"].startswith("text/plain")
    assert client.get(f"{BASE}/jobs?$count=true").json()["@odata.count"] == 2
    assert "@odata.count" not in client.get(f"{BASE}/jobs").json()
    assert client.get(f"{BASE}/templates/$count").text == str(
        len(client.get(f"{BASE}/templates").json()["value"])
    )
    assert client.get(f"{BASE}/secrets/$count").text == "0"
    directories = client.get(f"{BASE}/templates/scim/schema/directories").json()["value"]
    assert client.get(f"{BASE}/templates/scim/schema/directories/$count").text == str(len(directories))


def test_bound_functions_with_parentheses(client: TestClient) -> None:
    for base in (f"{BASE}/jobs/alpha/schema", f"{BASE}/templates/scim/schema"):
        for name in ("functions", "filterOperators"):
            plain, bound = client.get(f"{base}/{name}"), client.get(f"{base}/{name}()")
            assert bound.status_code == 200 and bound.json() == plain.json()
            assert all(entry["id"] == entry["name"] for entry in bound.json()["value"])


def test_patch_on_a_schema_replaces_it_as_put_does(client: TestClient) -> None:
    response = client.post(f"{BASE}/jobs", json={"templateId": "scim"})
    path = f"{BASE}/jobs/{response.json()['id']}/schema"
    schema = client.get(path).json()
    assert client.patch(path, json=dict(schema, synchronizationRules=[])).status_code == 204
    assert client.get(path).json()["synchronizationRules"] == []
    assert client.patch(path, json={"synchronizationRules": "no"}).status_code == 400


def test_template_metadata_keys_are_graphs_and_idsyncs_facts_are_extra_properties(client: TestClient) -> None:
    template = client.get(f"{BASE}/templates/scim").json()
    assert all(entry["key"] != "idsyncBuiltIn" for entry in template["metadata"])
    assert template["idsyncBuiltIn"] is True


def test_collection_validate_credentials_needs_a_state_folder(client: TestClient) -> None:
    body = {"templateId": "scim", "credentials": [{"key": "BaseAddress", "value": "http://127.0.0.1:9"}]}
    refused = client.post(f"{BASE}/jobs/validateCredentials", json=body)
    assert refused.status_code == 400 and "--state-dir" in refused.json()["error"]["message"]
    assert client.post(f"{BASE}/jobs/validateCredentials", json={"templateId": "nope"}).status_code == 404


def test_collection_validate_credentials_tries_the_given_credentials(tmp_path: Path) -> None:
    source = tmp_path / "source.yaml"
    source.write_text("connector: json\npath: source.json\n")
    home = DaemonHome(
        tmp_path / "state",
        directories={
            "Azure Active Directory": {"connector": "json", "path": "s.json", "baseDir": str(tmp_path)}
        },
    )
    daemon = Daemon([], home=home)
    with TestClient(
        create_app(daemon, token="t", manage_daemon=False), headers={"Authorization": "Bearer t"}
    ) as c:
        unreachable = {"key": "BaseAddress", "value": "http://127.0.0.1:9/scim"}
        token = {"key": "SecretToken", "value": "x"}
        body = {"templateId": "scim", "credentials": [unreachable, token]}
        refused = c.post(f"{BASE}/jobs/validateCredentials", json=body)
        assert refused.status_code == 400 and refused.json()["error"]["code"] == "CredentialsInvalid"
        missing = c.post(f"{BASE}/jobs/validateCredentials", json={"templateId": "scim", "credentials": []})
        assert missing.status_code == 400 and "SecretToken" in missing.json()["error"]["message"]
    daemon.shutdown()


def test_secrets_at_rest_are_encrypted_and_survive_a_key_rotation(tmp_path: Path) -> None:
    old, new = generate_key(), generate_key()
    home = DaemonHome(tmp_path, cipher=SecretCipher(old))
    home.replace_secrets("local", {"SecretToken": "clear-text-token"})
    assert b"clear-text-token" not in (tmp_path / "idsync-daemon.db").read_bytes()
    rotated = DaemonHome(tmp_path, cipher=SecretCipher(f"{new},{old}"))
    assert rotated.load_secrets() == {"local": {"SecretToken": "clear-text-token"}}
    assert DaemonHome(tmp_path, cipher=SecretCipher(new)).load_secrets() == {
        "local": {"SecretToken": "clear-text-token"}
    }
    assert DaemonHome(tmp_path, cipher=SecretCipher(old)).load_secrets() == {}  # the old key alone: unusable
    with pytest.raises(SecretKeyMissing, match="IDSYNC_SECRET_KEY"):
        DaemonHome(tmp_path).replace_secrets("local", {"SecretToken": "x"})
    with pytest.raises(ValueError, match="not a Fernet key"):
        SecretCipher("not-a-key")
    assert "withheld" in repr(SecretCipher(new))


def test_auth_header_is_needed_under_versions_too(daemon: Daemon) -> None:
    with TestClient(create_app(daemon, token="tok", manage_daemon=False)) as c:
        assert c.get(f"/beta{BASE}/jobs/$count").status_code == 401
        assert c.get(f"/beta{BASE}/jobs/$count", headers=AUTH | {"Authorization": "Bearer tok"}).text == "2"
