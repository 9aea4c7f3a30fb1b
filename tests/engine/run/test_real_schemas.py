"""Real schemas exported from Entra run end to end on json directories (tests/samples)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from engine import Action, SyncEngine, load_job

SAMPLES = Path(__file__).parents[2] / "samples"
CLOUD_SYNC = (
    "IdentityUnoffical_terraform-msgraph-entra-cloud-sync-config_"
    "cloudsync-AD2AADProvisioning-schema-2025.json"
)

AD = {
    "user": [
        {
            "id": "a1",
            "objectGUID": "a1",
            "sAMAccountName": "alice",
            "userPrincipalName": "alice@contoso.local",
            "displayName": "Alice",
            "givenName": "Alice",
            "sn": "Smith",
            "userAccountControl": 512,
            "objectSid": "S-1-5-21-1-2-3-1001",
            "cn": "Alice Smith",
            "postOfficeBox": [""],
            "distinguishedName": "CN=Alice Smith,OU=Users,DC=contoso,DC=local",
        },
        {
            "id": "a2",
            "objectGUID": "a2",
            "sAMAccountName": "bob",
            "userPrincipalName": "bob@contoso.local",
            "displayName": "Bob",
            "userAccountControl": 514,
            "manager": "a1",
            "objectSid": "S-1-5-21-1-2-3-1002",
            "cn": "Bob",
            "distinguishedName": "CN=Bob,OU=Users,DC=contoso,DC=local",
        },
        {
            "id": "a3",
            "objectGUID": "a3",
            "sAMAccountName": "MSOL_123",
            "userPrincipalName": "msol@contoso.local",
            "cn": "MSOL",
            "distinguishedName": "CN=MSOL,DC=contoso,DC=local",
        },
    ],
    "group": [
        {
            "id": "g1",
            "objectGUID": "g1",
            "cn": "Staff",
            "displayName": "Staff",
            "groupType": -2147483646,
            "member": ["a1", "a2"],
            "objectSid": "S-1-5-21-1-2-3-2001",
            "sAMAccountName": "staff",
        }
    ],
}


def test_cloud_sync_schema_provisions_users_then_groups(tmp_path: Path) -> None:
    shutil.copy(SAMPLES / CLOUD_SYNC, tmp_path / "schema.json")
    (tmp_path / "ad.json").write_text(json.dumps(AD), encoding="utf-8")
    (tmp_path / "job.yaml").write_text(
        "id: cloudsync\nschema: schema.json\n"
        "directories:\n  Active Directory: {connector: json, path: ad.json}\n"
        "  Microsoft Entra ID: {connector: json, path: entra.json}\n"
        "settings: {placeholders: {DomainFQDN: contoso.local, DomainNetBios: CONTOSO}}\n",
        encoding="utf-8",
    )
    with SyncEngine(load_job(tmp_path / "job.yaml")) as engine:
        plan = engine.plan()
        creates = [(op.object_type, op.source_id) for op in plan.operations if op.action is Action.CREATE]
        assert creates == [("User", "a1"), ("User", "a2"), ("Group", "g1")]  # users before groups
        skipped = {op.source_id: op.reason for op in plan.operations if op.action is Action.SKIP}
        assert skipped == {"a3": "FilteredOut"}  # the input filter drops MSOL_ accounts
        alice = next(op for op in plan.operations if op.source_id == "a1")
        values = {c.name: c.new for c in alice.changes}
        assert (
            values["DnsDomainName"] == "contoso.local" and values["NetBiosName"] == "CONTOSO"
        )  # placeholders
        assert "PostOfficeBox" not in values  # an empty value is not exported
        assert engine.run_cycle().state == "Succeeded"
        assert engine.run_cycle().exported == 0
    entra = json.loads((tmp_path / "entra.json").read_text(encoding="utf-8"))
    users = {u["SourceAnchor"]: u for u in entra["User"]}
    assert users["a2"]["Manager"] == users["a1"]["id"] and users["a2"]["AccountEnabled"] is False
    assert sorted(entra["Group"][0]["Member"]) == sorted(u["id"] for u in users.values())
