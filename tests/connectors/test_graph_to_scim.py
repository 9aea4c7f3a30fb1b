"""End to end: Entra ID (the Graph peer over HTTPS, read with delta queries) into scim2-server over HTTP, with
the scim template (examples/entra-to-scim/job.yaml, scope: assigned). The initial cycle, then one incremental
cycle after a new user, a changed user, a disabled user, an unassigned user, a user in the recycle bin, a user
deleted for good and a group membership change -- each checked on the SCIM app as Entra would send it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from click.testing import CliRunner

import engine
from engine.cli import main
from tests.peers.graph import GraphPeer
from tests.peers.graph import graph_peer as graph_peer
from tests.peers.scim import ScimTenant
from tests.peers.scim import scim_server as scim_server
from tests.peers.scim import scim_tenant as scim_tenant

pytestmark = pytest.mark.peer
_ = (graph_peer, scim_server, scim_tenant)
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "entra-to-scim"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"


def _job(tmp_path: Path, peer: GraphPeer, tenant: ScimTenant, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The example, copied, with the peer's private CA and authority validation off (a test authority)."""
    folder = tmp_path / "entra-to-scim"
    shutil.copytree(EXAMPLE, folder)
    job = yaml.safe_load((folder / "job.yaml").read_text())
    job["directories"]["Azure Active Directory"].update(caBundle=str(peer.ca_file), validateAuthority=False)
    (folder / "job.yaml").write_text(yaml.safe_dump(job))
    t = peer.tenant
    env = {
        "ENTRA_TENANT_ID": t.tenant_id,
        "ENTRA_CLIENT_ID": t.client_id,
        "ENTRA_CLIENT_SECRET": t.client_secret,
        "ENTRA_SP_ID": t.service_principal_id,
        "ENTRA_AUTHORITY": peer.root,
        "GRAPH_URL": peer.base_url,
        "SCIM_URL": tenant.base_address,
        "SCIM_TOKEN": tenant.token,
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return folder / "job.yaml"


class Scim:
    def __init__(self, tenant: ScimTenant) -> None:
        self.client = httpx.Client(
            base_url=tenant.base_address, headers={"Authorization": f"Bearer {tenant.token}"}
        )

    def users(self) -> dict[str, dict[str, Any]]:
        return {u["userName"]: u for u in self.client.get("/Users").json().get("Resources", [])}

    def members(self, group: str) -> set[str]:
        ids = {u["id"]: name.split("@")[0] for name, u in self.users().items()}
        groups = {g["displayName"]: g for g in self.client.get("/Groups").json().get("Resources", [])}
        return {ids.get(m["value"], "?") for m in groups[group].get("members", [])}


def _cycle(sync: Any) -> Any:
    report = sync.run_cycle()
    assert report.state == "Succeeded", report.error
    assert report.escrowed == 0
    return report


def test_entra_to_scim(
    graph_peer: GraphPeer, scim_tenant: ScimTenant, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    t = graph_peer.tenant

    def user(name: str, **more: Any) -> str:
        return t.add_user(
            userPrincipalName=f"{name}@contoso.test",
            displayName=name.title(),
            givenName=name.title(),
            surname="Test",
            mailNickname=name,
            mail=f"{name}@contoso.test",
            **more,
        )

    boss = user("boss")
    ann, bob, cy, dee, gus, _zed = (
        user(n, manager=boss if n == "ann" else None) for n in ("ann", "bob", "cy", "dee", "gus", "zed")
    )
    team = t.add_group(displayName="Team", members=(ann, bob))
    for direct in (boss, cy, dee, gus):
        t.assign(direct, "User")
    t.assign(team, "Group")  # ann and bob are in scope through Team; zed is assigned nothing
    job = _job(tmp_path, graph_peer, scim_tenant, monkeypatch)
    scim = Scim(scim_tenant)

    sync = engine.SyncEngine(engine.load_job(job))
    _cycle(sync)
    users = scim.users()
    assert sorted(users) == sorted(f"{n}@contoso.test" for n in ("boss", "ann", "bob", "cy", "dee", "gus"))
    assert all(u["active"] is True for u in users.values())
    assert users["ann@contoso.test"][ENTERPRISE]["manager"]["value"] == users["boss@contoso.test"]["id"]
    assert (
        users["ann@contoso.test"]["externalId"] == "ann" and users["ann@contoso.test"]["displayName"] == "Ann"
    )
    assert scim.members("Team") == {"ann", "bob"}
    selected = {r.split("/")[2].split("?")[0]: r for r in t.requests if "/delta" in r}
    user_select = selected["users"].split("%24select=")[1].split("&")[0].split("%2C")
    assert {"userPrincipalName", "officeLocation", "businessPhones", "accountEnabled", "manager"} <= set(
        user_select
    )
    assert "IsSoftDeleted" not in user_select and "jobTitle" in user_select, "what the scim template reads"
    assert "members" in selected["groups"]

    fay = user("fay")
    t.assign(fay, "User")  # new
    t.update_user(ann, displayName="Ann Changed", jobTitle="Lead")  # changed
    t.update_user(bob, accountEnabled=False)  # disabled
    t.unassign(dee)  # unassigned
    t.soft_delete_user(gus)  # recycle bin
    t.hard_delete_user(cy)  # deleted for good
    t.add_member(team, fay)
    t.remove_member(team, bob)  # membership change
    second = _cycle(engine.SyncEngine(engine.load_job(job)))
    assert second.full is False, "the second cycle follows Graph's delta link"
    users = scim.users()
    assert "cy@contoso.test" not in users and "zed@contoso.test" not in users
    assert users["fay@contoso.test"]["active"] is True
    assert (
        users["ann@contoso.test"]["displayName"] == "Ann Changed"
        and users["ann@contoso.test"]["title"] == "Lead"
    )
    assert {n: users[f"{n}@contoso.test"]["active"] for n in ("bob", "dee", "gus", "boss")} == {
        "bob": False,
        "dee": False,
        "gus": False,
        "boss": True,
    }
    assert scim.members("Team") == {"ann", "fay"}

    quiet = _cycle(engine.SyncEngine(engine.load_job(job)))
    assert quiet.exported == 0, "a cycle after no change writes nothing"


def test_dry_run_shows_what_the_first_cycle_would_send(
    graph_peer: GraphPeer, scim_tenant: ScimTenant, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    t = graph_peer.tenant
    ann = t.add_user(userPrincipalName="ann@contoso.test", displayName="Ann", mailNickname="ann")
    t.add_user(userPrincipalName="zed@contoso.test", displayName="Zed", mailNickname="zed")
    t.assign(ann, "User")
    job = _job(tmp_path, graph_peer, scim_tenant, monkeypatch)
    result = CliRunner().invoke(main, ["dry-run", str(job)])
    assert result.exit_code == 0, result.output
    assert "create 1," in result.output and "ann@contoso.test" in result.output
    assert Scim(scim_tenant).users() == {}, "a dry-run writes nothing"


def test_discover_describes_the_graph_directory(
    graph_peer: GraphPeer, scim_tenant: ScimTenant, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    graph_peer.tenant.add_extension("extension_0123abcd_costCenter", "String", "User")
    graph_peer.tenant.add_extension("extension_0123abcd_isContractor", "Boolean", "User", "Group")
    job = _job(tmp_path, graph_peer, scim_tenant, monkeypatch)
    result = CliRunner().invoke(main, ["discover", str(job), "Azure Active Directory", "--json"])
    assert result.exit_code == 0, result.output
    [directory] = json.loads(result.output)["directories"]
    objects = {o["name"]: {a["name"] for a in o["attributes"]} for o in directory["objects"]}
    assert {"userPrincipalName", "accountEnabled", "manager", "telephoneNumber"} <= objects["User"]
    assert "members" in objects["Group"] and "extension_0123abcd_isContractor" in objects["Group"]
    user = next(o for o in directory["objects"] if o["name"] == "User")
    kinds = {a["name"]: a["type"] for a in user["attributes"]}
    assert kinds["extension_0123abcd_costCenter"] == "String"
    assert kinds["extension_0123abcd_isContractor"] == "Boolean"
