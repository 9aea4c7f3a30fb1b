"""The ``scim`` template synced by the engine into scim2-server over HTTP through the scim connector:
the initial cycle, a quiet second cycle, an update, a disable, a member removal and a delete."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from engine import Action, SyncEngine, load_job
from tests.peers.scim import ScimTenant

ENT = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"


def user(uid: str, **attrs: Any) -> dict[str, Any]:
    base = {"id": uid, "userPrincipalName": f"{uid}@contoso.com", "displayName": f"User {uid}",
            "givenName": "Given", "surname": uid.upper(), "mail": f"{uid}@contoso.com", "mailNickname": uid,
            "accountEnabled": True}  # fmt: skip
    return {**base, **attrs}


def group(gid: str, members: list[str]) -> dict[str, Any]:
    return {"id": gid, "displayName": f"Group {gid}", "objectId": gid, "members": members}


class Scenario:
    def __init__(self, folder: Path, tenant: ScimTenant, monkeypatch: pytest.MonkeyPatch) -> None:
        self.folder = folder
        self.tenant = tenant
        monkeypatch.setenv("IDSYNC_TEST_SCIM_TOKEN", tenant.token)
        job = {
            "id": "scim-e2e",
            "template": "scim",
            "schedule": "PT40M",
            "directories": {
                "Azure Active Directory": {"connector": "json", "path": "source.json"},
                "SCIM App": {
                    "connector": "scim",
                    "baseAddress": tenant.base_address,
                    "secretToken": "${IDSYNC_TEST_SCIM_TOKEN}",
                },
            },
        }
        (folder / "job.json").write_text(json.dumps(job), encoding="utf-8")

    def source(self, users: list[dict[str, Any]], groups: list[dict[str, Any]]) -> None:
        (self.folder / "source.json").write_text(
            json.dumps({"User": users, "Group": groups}), encoding="utf-8"
        )

    def engine(self) -> SyncEngine:
        return SyncEngine(load_job(self.folder / "job.json"))

    def scim(self, endpoint: str) -> dict[str, dict[str, Any]]:
        reply = httpx.get(
            f"{self.tenant.base_address}/{endpoint}", headers={"Authorization": f"Bearer {self.tenant.token}"}
        )
        key = "userName" if endpoint == "Users" else "displayName"
        return {r[key]: r for r in reply.json()["Resources"]}


@pytest.fixture
def scenario(tmp_path: Path, scim_tenant: ScimTenant, monkeypatch: pytest.MonkeyPatch) -> Iterator[Scenario]:
    yield Scenario(tmp_path, scim_tenant, monkeypatch)


def test_scim_template_into_scim2_server(scenario: Scenario) -> None:
    scenario.source([user("u1"), user("u2", manager="u1"), user("u3")], [group("g1", ["u1", "u2", "u3"])])
    engine = scenario.engine()
    try:
        first = engine.run_cycle()
        assert first.state == "Succeeded", first
        users = scenario.scim("Users")
        assert set(users) == {"u1@contoso.com", "u2@contoso.com", "u3@contoso.com"}
        u1, u2 = users["u1@contoso.com"], users["u2@contoso.com"]
        assert u1["active"] is True and u1["emails"] == [{"type": "work", "value": "u1@contoso.com"}]
        assert u1["name"]["familyName"] == "U1" and u1["externalId"] == "u1"
        assert u2[ENT]["manager"]["value"] == u1["id"]
        [team] = scenario.scim("Groups").values()
        assert sorted(m["value"] for m in team["members"]) == sorted(u["id"] for u in users.values())

        u3 = users["u3@contoso.com"]["id"]
        quiet = engine.run_cycle()
        assert quiet.exported == 0, "a second cycle writes nothing"

        scenario.source([user("u1", displayName="Renamed"), user("u2", manager="u1", accountEnabled=False)],
                        [group("g1", ["u1", "u2"])])  # fmt: skip
        changed = engine.run_cycle()
        assert changed.state == "Succeeded", changed
        users = scenario.scim("Users")
        assert users["u1@contoso.com"]["displayName"] == "Renamed"
        assert users["u2@contoso.com"]["active"] is False
        assert changed.total(Action.DISABLE) >= 1
        assert "u3@contoso.com" not in users, "a user gone from the source is deleted"
        [team] = scenario.scim("Groups").values()
        assert sorted(m["value"] for m in team["members"]) == sorted([u1["id"], u2["id"]])
        assert u3 not in {m["value"] for m in team["members"]}
    finally:
        engine.close()
