"""End to end: a slapd directory of users and groups into scim2-server over HTTP, with the ldap-to-scim
template (examples/ldap-to-scim/job.yaml): the initial cycle, then a modify, a membership change, a delete and
a move out of scope in LDAP, each checked on the SCIM server after an incremental cycle; and, with a scoping
filter added to the template, a user disabled in LDAP is disabled (``active: false``) in the app.

Moving an entry out of its object type's ``baseDn`` takes it out of the directory the connector reads: the
app deletes it, as Entra's own OU filtering does for directories it synchronises.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import ldap
import pytest

import engine
from tests.peers.scim import ScimTenant
from tests.peers.slapd import LdapSubtree

from ._jobs import EXAMPLES, cycle, example_engine, ldap_client, ldap_env

pytestmark = pytest.mark.peer

ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"


def person(uid: str, display: str, manager: str | None = None) -> list[tuple[str, list[bytes]]]:
    attrs = [("objectClass", [b"inetOrgPerson"]), ("uid", [uid.encode()]), ("cn", [display.encode()]),
             ("sn", [display.split()[-1].encode()]), ("givenName", [display.split()[0].encode()]),
             ("displayName", [display.encode()]), ("mail", [f"{uid}@example.org".encode()])]  # fmt: skip
    if manager:
        attrs.append(("manager", [manager.encode()]))
    return attrs


class Scim:
    def __init__(self, tenant: ScimTenant) -> None:
        self.client = httpx.Client(
            base_url=tenant.base_address, headers={"Authorization": f"Bearer {tenant.token}"}
        )

    def users(self) -> dict[str, dict[str, Any]]:
        return {u["userName"]: u for u in self.client.get("/Users").json().get("Resources", [])}

    def groups(self) -> dict[str, dict[str, Any]]:
        found = self.client.get("/Groups").json().get("Resources", [])
        return {g["displayName"]: g for g in found}

    def members(self, group: str) -> set[str]:
        """userNames of the group's members (an id naming no user shows as ``?<id>``)."""
        ids = {u["id"]: name for name, u in self.users().items()}
        return {ids.get(m["value"], f"?{m['value']}") for m in self.groups()[group].get("members", [])}


@pytest.fixture
def directory(ldap_subtree: LdapSubtree) -> Iterator[Any]:
    client = ldap_client(ldap_subtree)
    people = f"ou=people,{ldap_subtree.dn}"
    client.add_s(f"uid=ann,{people}", person("ann", "Ann Able"))
    client.add_s(f"uid=bob,{people}", person("bob", "Bob Brown", f"uid=ann,{people}"))
    client.add_s(f"uid=cid,{people}", person("cid", "Cid Cole", f"uid=ann,{people}"))
    client.add_s(f"uid=dee,{people}", person("dee", "Dee Dunn"))
    members = [f"uid=bob,{people}".encode(), f"uid=cid,{people}".encode()]
    group = [("objectClass", [b"groupOfNames"]), ("cn", [b"team"]), ("member", members)]
    client.add_s(f"cn=team,ou=groups,{ldap_subtree.dn}", group)
    yield client
    client.unbind_s()


def test_ldap_to_scim(
    ldap_subtree: LdapSubtree,
    scim_tenant: ScimTenant,
    directory: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    env = {**ldap_env(ldap_subtree), "SCIM_URL": scim_tenant.base_address, "SCIM_TOKEN": scim_tenant.token}
    sync = example_engine("ldap-to-scim", tmp_path, monkeypatch, env)
    scim = Scim(scim_tenant)
    people = f"ou=people,{ldap_subtree.dn}"

    cycle(sync, full=True)
    users = scim.users()
    assert sorted(users) == ["ann", "bob", "cid", "dee"]
    assert (
        users["bob"]["displayName"] == "Bob Brown" and users["bob"]["emails"][0]["value"] == "bob@example.org"
    )
    assert users["bob"][ENTERPRISE]["manager"]["value"] == users["ann"]["id"]
    assert users["ann"]["active"] is True and ENTERPRISE not in users["ann"]
    assert scim.members("team") == {"bob", "cid"}

    directory.modify_s(f"uid=bob,{people}", [(ldap.MOD_REPLACE, "displayName", [b"Robert Brown"])])
    team = f"cn=team,ou=groups,{ldap_subtree.dn}"
    directory.modify_s(team, [(ldap.MOD_ADD, "member", [f"uid=dee,{people}".encode()]),
                              (ldap.MOD_DELETE, "member", [f"uid=cid,{people}".encode()])])  # fmt: skip
    cycle(sync)
    assert scim.users()["bob"]["displayName"] == "Robert Brown"
    assert scim.members("team") == {"bob", "dee"}

    directory.delete_s(f"uid=cid,{people}")
    cycle(sync)
    assert sorted(scim.users()) == ["ann", "bob", "dee"]

    directory.add_s(
        f"ou=alumni,{ldap_subtree.dn}", [("objectClass", [b"organizationalUnit"]), ("ou", [b"alumni"])]
    )
    directory.rename_s(f"uid=dee,{people}", "uid=dee", newsuperior=f"ou=alumni,{ldap_subtree.dn}")
    cycle(sync)
    assert sorted(scim.users()) == ["ann", "bob"]
    # Not checked: whether the app's group still lists dee's deleted id. scim2-server does not drop members
    # when a user is deleted, and the engine keeps a member it cannot link (dee is out of scope, still a
    # member in LDAP) as pending instead of removing it (reported to the engine's owner).
    assert "bob" in scim.members("team")

    quiet = cycle(sync)
    assert quiet.exported == 0, "a cycle with no change in LDAP writes nothing"


def test_a_user_disabled_in_ldap_is_disabled_in_the_app(
    ldap_subtree: LdapSubtree,
    scim_tenant: ScimTenant,
    directory: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The template with a scoping filter (employeeType EQUALS active): a user whose employeeType changes
    leaves the scope, and the app keeps the user with ``active: false`` (SCIM has a soft delete)."""
    template = json.loads((Path(engine.__file__).parent / "templates" / "ldap-to-scim.json").read_text())
    schema = template["schema"]
    for rule in schema["synchronizationRules"]:
        for mapping in rule["objectMappings"]:
            if mapping["sourceObjectName"] == "inetOrgPerson":
                clause = {"sourceOperandName": "employeeType", "operatorName": "EQUALS",
                          "targetOperand": {"values": ["active"]}}  # fmt: skip
                mapping["scope"] = {"groups": [{"name": "active", "clauses": [clause]}]}
    (tmp_path / "schema.json").write_text(json.dumps(schema))
    job = (
        (EXAMPLES / "ldap-to-scim" / "job.yaml")
        .read_text()
        .replace("template: ldap-to-scim", "schema: schema.json")
    )
    (tmp_path / "job.yaml").write_text(job)
    env = {**ldap_env(ldap_subtree), "SCIM_URL": scim_tenant.base_address, "SCIM_TOKEN": scim_tenant.token}
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    people = f"ou=people,{ldap_subtree.dn}"
    for uid in ("ann", "bob", "cid", "dee"):
        directory.modify_s(f"uid={uid},{people}", [(ldap.MOD_REPLACE, "employeeType", [b"active"])])
    directory.modify_s(f"uid=dee,{people}", [(ldap.MOD_REPLACE, "employeeType", [b"contractor"])])
    sync = engine.SyncEngine(engine.load_job(tmp_path / "job.yaml"))
    scim = Scim(scim_tenant)

    cycle(sync, full=True)
    assert sorted(scim.users()) == ["ann", "bob", "cid"]  # dee is out of scope: never created

    directory.modify_s(f"uid=cid,{people}", [(ldap.MOD_REPLACE, "employeeType", [b"disabled"])])
    cycle(sync)
    users = scim.users()
    assert sorted(users) == ["ann", "bob", "cid"]
    assert users["cid"]["active"] is False and users["bob"]["active"] is True

    directory.modify_s(f"uid=cid,{people}", [(ldap.MOD_REPLACE, "employeeType", [b"active"])])
    cycle(sync)
    assert scim.users()["cid"]["active"] is True
