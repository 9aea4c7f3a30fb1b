"""Real schemas (tests/samples) against generated, realistic json directories: an initial cycle, a round of
changes, a second cycle -- asserting the target values the schemas' expressions and spec §D prescribe."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from engine import Action, SyncEngine, load_job

SAMPLES = Path(__file__).parents[2] / "samples"
SALESFORCE = "graphdocs-beta-2017_salesforce-SfOutDelta_template-with-schema.json"


def _write(path: Path, document: dict[str, Any]) -> None:
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")


def _read(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


# --- Salesforce (2017 gallery template) --------------------------------------------------------------------


def _entra_user(n: int, **attrs: Any) -> dict[str, Any]:
    first, last = ("Zoë", "Müller") if n == 0 else (f"Given{n}", f"Surname{n}")
    user = {
        "id": f"e{n}",
        "objectId": f"e{n}",
        "userPrincipalName": f"user{n}.{last.lower()}@contoso.com",
        "mail": f"user{n}@contoso.com",
        "givenName": first,
        "surname": last,
        "preferredLanguage": "de-DE" if n % 2 else "en-US",
        "accountEnabled": True,
    }
    user.update(attrs)
    return {k: v for k, v in user.items() if v is not None}


def _salesforce_user(n: int) -> dict[str, Any]:
    # The org's existing users: the template cannot create one (ProfileId and FederationIdentifier are
    # required and unmapped), so the users are matched by Username, as when an org is first connected.
    last = "müller" if n == 0 else f"surname{n}"
    return {
        "id": f"005{n:012d}",
        "Username": f"user{n}.{last}@contoso.com",
        "ProfileId": "00e000000000001",
        "FederationIdentifier": f"user{n}",
        "IsActive": True,
    }


def _salesforce_job(folder: Path, users: list[dict[str, Any]], org: list[dict[str, Any]]) -> SyncEngine:
    shutil.copy(SAMPLES / SALESFORCE, folder / "schema.json")
    _write(folder / "entra.json", {"User": users})
    _write(folder / "sf.json", {"User": org})
    (folder / "job.yaml").write_text(
        "id: salesforce\nschema: schema.json\n"
        "directories:\n  Azure Active Directory: {connector: json, path: entra.json}\n"
        "  salesforce.com: {connector: json, path: sf.json}\n",
        encoding="utf-8",
    )
    return SyncEngine(load_job(folder / "job.yaml"))


def test_salesforce_users_are_deactivated_and_reactivated_never_deleted(tmp_path: Path) -> None:
    users = [_entra_user(n) for n in range(6)]
    # App-role assignments as role names (the json connector stores no objects; SingleAppRoleAssignment
    # reads a role object's value or a name alike).
    users[0]["appRoleAssignments"] = ["Standard User"]
    org = [_salesforce_user(n) for n in range(5)]  # user 5 is not in the org yet
    with _salesforce_job(tmp_path, users, org) as engine:
        planned = {op.source_id: op for op in engine.plan().operations}
        assert planned["e5"].action is Action.FAIL  # as validate predicts: required, unmapped
        assert planned["e5"].reason == "MissingRequiredValue: ProfileId, FederationIdentifier"
        from engine import validate  # ... as validate predicts, naming the same attributes

        users_mapping = "schema.synchronizationRules[0].objectMappings[0].attributeMappings"
        predicted = [
            f.message.split("'")[1]
            for f in validate(tmp_path / "schema.json")
            if f.path == users_mapping and "MissingRequiredValue" in f.message
        ]
        assert predicted == ["ProfileId", "FederationIdentifier"]
        assert engine.run_cycle().total(Action.UPDATE) == 5
        sf = {u["id"]: u for u in _read(tmp_path / "sf.json")["User"]}
        assert len(sf) == 5  # no user created: user 5 fails as validate predicts
        zoe = sf["005000000000000"]
        assert zoe["FirstName"] == "Zoë" and zoe["LastName"] == "Müller" and zoe["IsActive"] is True
        assert zoe["Alias"] == "user0.mü"  # Mid([userPrincipalName], 1, 8)
        assert zoe["LocaleSidKey"] == "en_US" and sf["005000000000001"]["LocaleSidKey"] == "de_DE"
        # Matched, not created: the defaults (create only) are not written, the mapped values are.
        assert zoe["Email"] == "user0@contoso.com" and zoe["ProfileName"] == "Standard User"
        assert "ProfileName" not in sf["005000000000001"]  # no assignment; the default is for creates

        # Disable one, soft-delete another, take a third out of the directory entirely (hard delete).
        users[1]["accountEnabled"] = False
        users[2]["deletedDateTime"] = "2026-12-01T00:00:00Z"
        _write(tmp_path / "entra.json", {"User": [u for u in users if u["id"] != "e3"]})
        second = engine.run_cycle()
        assert second.total(Action.DISABLE) == 2
        sf = {u["id"]: u for u in _read(tmp_path / "sf.json")["User"]}
        assert sf["005000000000001"]["IsActive"] is False  # deactivated, not deleted
        assert sf["005000000000002"]["IsActive"] is False
        assert "005000000000003" not in sf  # hard-deleted in the source: deleted
        assert "IsSoftDeleted" not in sf["005000000000001"]

        # Reactivate: the same Salesforce user comes back, no second user is made.
        users[1]["accountEnabled"] = True
        _write(tmp_path / "entra.json", {"User": [u for u in users if u["id"] != "e3"]})
        third = engine.run_cycle()
        assert third.total(Action.CREATE) == 0
        sf_users = _read(tmp_path / "sf.json")["User"]
        assert [u["id"] for u in sf_users].count("005000000000001") == 1
        assert len(sf_users) == 4
        assert {u["id"]: u["IsActive"] for u in sf_users}["005000000000001"] is True


# --- cloud sync (AD -> Entra ID) ----------------------------------------------------------------------------

CLOUD_SYNC = (
    "IdentityUnoffical_terraform-msgraph-entra-cloud-sync-config_"
    "cloudsync-AD2AADProvisioning-schema-2025.json"
)
CLOUD_SYNC_TWO_ANCHORS = "MS-LUF_Use-AzureAD_cloudsync-AD2AADProvisioning-job-schema-sample1.json"
BASE = "DC=contoso,DC=local"
FIRST = ["Zoë", "Jürgen", "Ana", "Søren", "Li", "Émile", "Olga", "Raj"]
LAST = ["Müller", "García", "Øvergård", "Nguyễn", "O'Brien", "Smith", "Kowalski", "Dvořák"]


def _ad_user(n: int, ou: str = "Staff", **attrs: Any) -> dict[str, Any]:
    first, last = FIRST[n % len(FIRST)], LAST[n // len(FIRST) % len(LAST)]
    sam = f"u{n:03d}"
    user = {
        "id": f"guid-{n:03d}",
        "objectGUID": f"guid-{n:03d}",
        "sAMAccountName": sam,
        "userPrincipalName": f"{sam}@contoso.local",
        "displayName": f"{first} {last}",
        "givenName": first,
        "sn": f" {last} ",  # Trim([sn])
        "cn": f"{first} {last}",
        "mail": f"{sam}@contoso.com",
        "userAccountControl": 512,
        "objectSid": f"S-1-5-21-1-2-3-{1000 + n}",
        "proxyAddresses": [f"SMTP:{sam}@contoso.com", f"smtp:{sam}@contoso.local", f"SMTP:{sam}@contoso.com"],
        "distinguishedName": f"CN={first} {last},OU={ou},{BASE}",
        "manager": "guid-000" if n else None,
        "department": ["Sales", "R&D", None][n % 3],
    }
    user.update(attrs)
    return {k: v for k, v in user.items() if v is not None}


def _ad_group(gid: str, name: str, members: list[str], **attrs: Any) -> dict[str, Any]:
    group = {
        "id": gid,
        "objectGUID": gid,
        "cn": name,
        "displayName": name,
        "sAMAccountName": name.lower(),
        "groupType": -2147483646,  # a security group (the schema's `&` filter)
        "member": members,
        "objectSid": f"S-1-5-21-1-2-3-{9000 + len(name)}",
        "distinguishedName": f"CN={name},OU=Groups,{BASE}",
    }
    group.update(attrs)
    return group


def _cloud_sync_job(
    folder: Path, ad: dict[str, Any], schema: dict[str, Any] | str = CLOUD_SYNC, settings: str = ""
) -> SyncEngine:
    if isinstance(schema, str):
        shutil.copy(SAMPLES / schema, folder / "schema.json")
    else:
        _write(folder / "schema.json", schema)
    target = (
        "Microsoft Entra ID"
        if schema is CLOUD_SYNC or not isinstance(schema, str)
        else "Azure Active Directory"
    )
    _write(folder / "ad.json", ad)
    (folder / "job.yaml").write_text(
        "id: cloudsync\nschema: schema.json\n"
        "directories:\n  Active Directory: {connector: json, path: ad.json}\n"
        f"  {target}: {{connector: json, path: entra.json}}\n"
        f"settings: {{placeholders: {{DomainFQDN: contoso.local, DomainNetBios: CONTOSO}}{settings}}}\n",
        encoding="utf-8",
    )
    return SyncEngine(load_job(folder / "job.yaml"))


def _entra(
    folder: Path, kind: str = "User", key: str = "OnPremisesObjectIdentifier"
) -> dict[str, dict[str, Any]]:
    return {o[key]: o for o in _read(folder / "entra.json").get(kind, [])}


def test_cloud_sync_schema_on_a_generated_directory_with_a_round_of_changes(tmp_path: Path) -> None:
    users = [_ad_user(n) for n in range(40)]
    users[5]["userAccountControl"] = 514  # disabled in AD: provisioned with AccountEnabled false
    users[6].pop("displayName")  # DisplayName falls back to cn
    users[7]["mS-DS-ConsistencyGuid"] = "consistency-7"  # SourceAnchor prefers it
    # Excluded by the input filter, and would fail the onPremisesUserPrincipalName mapping's Error(): skipped
    # without evaluating, never a failure.
    no_account = _ad_user(90, sAMAccountName=None, userPrincipalName=None)
    msol = _ad_user(91, sAMAccountName="MSOL_0123abcd")
    groups = [
        _ad_group("grp-sales", "Sales", [u["id"] for u in users[:10]]),
        _ad_group("grp-all", "Everyone", ["grp-sales", *[u["id"] for u in users[10:20]]]),  # nested
    ]
    ad = {"user": [*users, no_account, msol], "group": groups}
    with _cloud_sync_job(tmp_path, ad) as engine:
        first = engine.run_cycle()
        assert first.state == "Succeeded" and first.total(Action.FAIL) == 0
        assert first.total(Action.CREATE) == 42
        entra = _entra(tmp_path)
        assert set(entra) == {u["id"] for u in users}  # not guid-090 nor guid-091
        zoe = entra["guid-000"]
        assert zoe["DisplayName"] == "Zoë Müller" and zoe["Surname"] == "Müller"  # Trim([sn])
        assert sorted(zoe["ProxyAddresses"]) == ["SMTP:u000@contoso.com", "smtp:u000@contoso.local"]
        assert zoe["AccountEnabled"] is True and entra["guid-005"]["AccountEnabled"] is False
        assert entra["guid-006"]["DisplayName"] == users[6]["cn"]
        assert entra["guid-007"]["SourceAnchor"] == "consistency-7"
        assert entra["guid-001"]["SourceAnchor"] == "guid-001"
        assert entra["guid-003"]["Manager"] == zoe["id"]
        group_ids = _entra(tmp_path, "Group")
        assert sorted(group_ids["grp-sales"]["Member"]) == sorted(entra[u["id"]]["id"] for u in users[:10])
        assert group_ids["grp-sales"]["id"] in group_ids["grp-all"]["Member"]  # the nested group

        # A round of changes.
        users[1]["displayName"] = "Ana Renamed"
        users[2]["userAccountControl"] = 514  # disable
        users[5]["userAccountControl"] = 512  # re-enable
        users[8]["proxyAddresses"] = []  # emptied: null flows (flowNullValues on both sides)
        del users[9]  # deleted in AD
        ad = {"user": [*users, no_account, msol], "group": groups}
        _write(tmp_path / "ad.json", ad)
        second = engine.run_cycle()
        assert second.state == "Succeeded" and second.total(Action.FAIL) == 0
        entra = _entra(tmp_path)
        assert entra["guid-001"]["DisplayName"] == "Ana Renamed"
        assert entra["guid-002"]["AccountEnabled"] is False and entra["guid-005"]["AccountEnabled"] is True
        assert "ProxyAddresses" not in entra["guid-008"]
        assert "guid-009" not in entra


def test_cloud_sync_two_anchors_invents_no_value(tmp_path: Path) -> None:
    cloud_ou = "OU=Cloud,DC=mydomain,DC=tld"  # the schema's scoping filter: distinguishedName ENDS_WITH it
    with_id = _ad_user(1, employeeID="E-0001", distinguishedName=f"CN=One,{cloud_ou}")
    without = _ad_user(2, distinguishedName=f"CN=Two,{cloud_ou}")
    with _cloud_sync_job(tmp_path, {"user": [with_id, without]}, CLOUD_SYNC_TWO_ANCHORS) as engine:
        assert engine.run_cycle().total(Action.CREATE) == 2
    users = _entra(tmp_path, key="onPremisesObjectIdentifier")
    assert users["guid-001"]["EmployeeId"] == "E-0001" and users["guid-001"]["SourceAnchor"] == "E-0001"
    assert "EmployeeId" not in users["guid-002"] and "SourceAnchor" not in users["guid-002"]
    from engine import validate

    found = [f for f in validate(SAMPLES / CLOUD_SYNC_TWO_ANCHORS) if "anchor attributes" in f.message]
    assert found and all("connector's id is the object's identity" in f.message for f in found)


def _filtered_schema(**rule: Any) -> dict[str, Any]:
    schema = _read(SAMPLES / CLOUD_SYNC)
    schema["synchronizationRules"][0].update(rule)
    return schema


def test_cloud_sync_container_filter_is_honoured(tmp_path: Path) -> None:
    schema = _filtered_schema(containerFilter={"includedContainers": [f"OU=Staff,{BASE}"]})
    inside, outside = _ad_user(1), _ad_user(2, ou="Contractors")
    moving = _ad_user(3)
    with _cloud_sync_job(tmp_path, {"user": [inside, outside, moving]}, schema) as engine:
        plan = {op.source_id: op for op in engine.plan().operations}
        assert plan["guid-002"].action is Action.SKIP and plan["guid-002"].reason == "NotInScope"
        assert engine.run_cycle().total(Action.FAIL) == 0
        assert set(_entra(tmp_path)) == {"guid-001", "guid-003"}
        moving["distinguishedName"] = f"CN=Moved,OU=Contractors,{BASE}"
        _write(tmp_path / "ad.json", {"user": [inside, outside, moving]})
        left = {op.source_id: op for op in engine.plan().operations}
        # Leaving scope: cloud sync maps no IsSoftDeleted and writes into Entra ID, which deprovisions by its
        # own soft delete (README, "Deprovisioning into Microsoft Entra ID"): a delete, as the real cloud
        # sync does -- the dry-run says so.
        assert left["guid-003"].action is Action.DELETE and left["guid-003"].reason == "NotInScope"
        report = engine.run_cycle()
        assert report.total(Action.DELETE) == 1 and report.total(Action.FAIL) == 0
        assert set(_entra(tmp_path)) == {"guid-001"}


def test_cloud_sync_deletes_into_entra_are_held_by_the_deletion_guard(tmp_path: Path) -> None:
    """An OU filter change that takes many users out of scope must not delete them all: the deletes into
    Entra ID (README, "Deprovisioning into Microsoft Entra ID") are staged and counted like every removal."""
    schema = _filtered_schema(containerFilter={"includedContainers": [f"OU=Staff,{BASE}"]})
    users = [_ad_user(n) for n in range(1, 5)]
    with _cloud_sync_job(tmp_path, {"user": users}, schema, settings=", deleteThreshold: 2") as engine:
        assert engine.run_cycle().total(Action.CREATE) == 4
        for user in users[:3]:
            user["distinguishedName"] = user["distinguishedName"].replace("OU=Staff", "OU=Contractors")
        _write(tmp_path / "ad.json", {"user": users})
        shown = engine.plan().summary()
        assert shown["delete"] == 0 and shown["stagedDelete"] == 3  # the dry-run says what the guard will do
        report = engine.run_cycle()
        assert report.quarantine == "TooManyDeletes" and report.staged == 3
        assert len(_entra(tmp_path)) == 4  # nobody deleted


def test_cloud_sync_group_filter_is_honoured(tmp_path: Path) -> None:
    schema = _filtered_schema(groupFilter={"includedGroups": [f"CN=Pilot,OU=Groups,{BASE}"]})
    member = _ad_user(1, memberOf=[f"CN=Pilot, OU=Groups, {BASE}"])  # DNs compare without the spaces
    other = _ad_user(2, memberOf=[f"CN=Other,OU=Groups,{BASE}"])
    nobody = _ad_user(3)
    pilot = _ad_group("grp-pilot", "Pilot", ["guid-001"])
    with _cloud_sync_job(tmp_path, {"user": [member, other, nobody], "group": [pilot]}, schema) as engine:
        assert engine.run_cycle().total(Action.FAIL) == 0
    assert set(_entra(tmp_path)) == {"guid-001"}
    assert set(_entra(tmp_path, "Group")) == {"grp-pilot"}  # the included group itself


# --- cross-tenant synchronization (Entra -> Entra) ---------------------------------------------------------

CROSS_TENANT = "terraprovider_terraform-provider-microsoft365wp_cross-tenant-sync-Azure2Azure-schema.json"


def _net_id(n: int) -> str:
    return f"100320{n:010X}"


def _alt_sec_id(net_id: str) -> str:
    import base64

    key = base64.b64encode(net_id.encode()).decode()
    return json.dumps({"type": 5, "identityProvider": None, "key": key}, separators=(",", ":"))


def _tenant_user(n: int, **attrs: Any) -> dict[str, Any]:
    first, last = FIRST[n % len(FIRST)], LAST[n % len(LAST)]
    user = {
        "id": f"src-{n:03d}",
        "netId": _net_id(n),
        "userPrincipalName": f"user{n}@contoso.com",
        "displayName": f"{first} {last}",
        "givenName": first,
        "surname": last,
        "mailNickname": f"user{n}",
        "mail": f"user{n}@contoso.com",
        "accountEnabled": True,
        "userType": "Member",
        "department": "Sales" if n % 2 else None,
        "manager": "src-000" if n else None,
    }
    user.update(attrs)
    return {k: v for k, v in user.items() if v is not None}


def test_cross_tenant_members_are_provisioned_and_matched_guests_skipped(tmp_path: Path) -> None:
    members = [_tenant_user(n) for n in range(12)]
    members[4]["accountEnabled"] = False  # disabled: never provisioned
    guest = _tenant_user(
        50,
        userType="Guest",
        userPrincipalName="guest_fabrikam.com#EXT#@contoso.com",
        alternativeSecurityIds=[_alt_sec_id("10037FFE00000001")],  # a B2B guest: has one already
    )
    pending = _tenant_user(51, userState="PendingAcceptance")
    # User 3 exists in the target tenant already (created by an earlier sync): matched, not created again.
    existing = {
        "id": "tgt-existing-3",
        "alternativeSecurityIds": [_alt_sec_id(_net_id(3))],
        "userPrincipalName": "user3_contoso.com#EXT#@fabrikam.com",
        "displayName": "Old Name",
        "userType": "Member",
    }
    shutil.copy(SAMPLES / CROSS_TENANT, tmp_path / "schema.json")
    _write(tmp_path / "source.json", {"User": [*members, guest, pending]})
    _write(tmp_path / "target.json", {"User": [existing]})
    (tmp_path / "job.yaml").write_text(
        "id: crosstenant\nschema: schema.json\n"
        "directories:\n  Microsoft Entra ID: {connector: json, path: source.json}\n"
        "  Microsoft Entra ID (target tenant): {connector: json, path: target.json}\n",
        encoding="utf-8",
    )
    with SyncEngine(load_job(tmp_path / "job.yaml")) as engine:
        plan = {op.source_id: op for op in engine.plan().operations}
        assert plan["src-050"].reason == "FilteredOut" and plan["src-051"].reason == "FilteredOut"
        assert plan["src-004"].reason == "SourceDisabled"
        assert plan["src-003"].action is Action.UPDATE and plan["src-003"].target_id == "tgt-existing-3"
        first = engine.run_cycle()
        assert first.state == "Succeeded" and first.total(Action.FAIL) == 0
        assert first.total(Action.CREATE) == 10
        target = {u["id"]: u for u in _read(tmp_path / "target.json")["User"]}
        # A multi-valued attribute holds a list even with one value (the schema says it is multi-valued).
        assert all(isinstance(u["alternativeSecurityIds"], list) for u in target.values())
        by_net = {json.loads(u["alternativeSecurityIds"][0])["key"]: u for u in target.values()}
        assert len(target) == 11  # 10 created + the matched one, no duplicate
        zoe = by_net[json.loads(_alt_sec_id(_net_id(0)))["key"]]
        assert zoe["displayName"] == "Zoë Müller" and zoe["userType"] == "Member"
        assert zoe["showInAddressList"] is True and zoe["accountEnabled"] is True
        assert "IsSoftDeleted" not in zoe  # synthetic: never written as an attribute
        assert target["tgt-existing-3"]["displayName"] == members[3]["displayName"]
        assert target["tgt-existing-3"]["userType"] == "Member"  # ObjectAddOnly: not re-written on a match
        one = by_net[json.loads(_alt_sec_id(_net_id(1)))["key"]]
        assert one["manager"] == zoe["id"]

        members[1]["displayName"] = "Renamed One"
        members[2]["accountEnabled"] = False
        _write(tmp_path / "source.json", {"User": [*members, guest, pending]})
        second = engine.run_cycle()
        # Blocked from sign-in in the source: blocked in the target by an update of accountEnabled, not
        # deleted (Microsoft's cross-tenant sync FAQ; README, "Deprovisioning into Microsoft Entra ID").
        assert second.total(Action.CREATE) == 0 and second.total(Action.DELETE) == 0
        assert second.total(Action.UPDATE) == 2 and second.total(Action.DISABLE) == 0
        target = {u["id"]: u for u in _read(tmp_path / "target.json")["User"]}
        two = by_net[json.loads(_alt_sec_id(_net_id(2)))["key"]]["id"]
        assert target[one["id"]]["displayName"] == "Renamed One" and len(target) == 11
        assert target[two]["accountEnabled"] is False
        assert not any("IsSoftDeleted" in u for u in target.values())

        # Still managed while blocked: a rename flows; enabled again, the same object is enabled again.
        members[2]["accountEnabled"] = True
        members[2]["displayName"] = "Back Again"
        _write(tmp_path / "source.json", {"User": [*members, guest, pending]})
        third = engine.run_cycle()
        assert third.total(Action.UPDATE) == 1 and third.total(Action.CREATE) == 0
        target = {u["id"]: u for u in _read(tmp_path / "target.json")["User"]}
        assert target[two]["accountEnabled"] is True and target[two]["displayName"] == "Back Again"

        # Unassigned from the configuration (out of scope), or soft-deleted in the source: soft-deleted in
        # the target tenant -- a delete (the synthetic IsSoftDeleted is Entra's soft-delete switch), shown
        # by the dry-run first. (The input filter's exclusions are never deprovisioned: spec §B.1.)
        members[5]["IsEffectivelyEntitledForProvisioning"] = False
        members[6]["deletedDateTime"] = "2026-12-01T00:00:00Z"
        _write(tmp_path / "source.json", {"User": [*members, guest, pending]})
        shown = {op.source_id: op for op in engine.plan().operations}
        assert shown["src-005"].action is Action.DELETE and shown["src-006"].action is Action.DELETE
        fourth = engine.run_cycle()
        assert fourth.total(Action.DELETE) == 2 and fourth.total(Action.FAIL) == 0
        target = {u["id"]: u for u in _read(tmp_path / "target.json")["User"]}
        assert len(target) == 9
        gone = {json.loads(_alt_sec_id(_net_id(n)))["key"] for n in (5, 6)}
        assert not gone & {json.loads(u["alternativeSecurityIds"][0])["key"] for u in target.values()}


def test_log_steps_of_a_create_and_of_failures_before_export() -> None:
    from engine.plan import PlannedOperation, Reason
    from engine.run._records import default_steps

    create = PlannedOperation(Action.CREATE, "m", "User", "s1", "new-id")
    steps = {s["provisioningStepType"]: s for s in default_steps(create, "success", None)}
    assert steps["matching"]["description"] == "Matching: no target object (new)"  # not "linked to new-id"
    assert steps["scoping"]["details"] == {"ScopeEvaluationResult": "Passed"}
    missing = PlannedOperation(
        Action.FAIL,
        "m",
        "User",
        "s2",
        reason="MissingRequiredValue: ProfileId",
        error=Reason.REQUIRED_MISSING,
    )
    kinds = [s["provisioningStepType"] for s in default_steps(missing, "failure", None)]
    assert kinds == ["import", "scoping", "matching", "processing"]  # no export step: nothing was exported
    conflict = PlannedOperation(Action.FAIL, "m", "User", "s3", reason="x", error=Reason.MATCH_CONFLICT)
    last = default_steps(conflict, "failure", None)[-1]
    assert last["provisioningStepType"] == "matching" and last["status"] == "failure"
    out = PlannedOperation(Action.SKIP, "m", "User", "s4", reason=Reason.OUT_OF_SCOPE)
    assert [(x["provisioningStepType"], x["status"]) for x in default_steps(out, "skipped", None)] == [
        ("import", "success"),
        ("scoping", "skipped"),  # never "Passed" for an object out of scope
    ]
    ignored = PlannedOperation(Action.SKIP, "m", "User", "s5", reason=Reason.IGNORED)
    scoping = [x for x in default_steps(ignored, "skipped", None) if x["provisioningStepType"] == "scoping"]
    assert scoping[0]["details"] == {"ScopeEvaluationResult": "Passed"}


@pytest.mark.parametrize(
    "schema",
    [CLOUD_SYNC_TWO_ANCHORS, "MS-LUF_Use-AzureAD_cloudsync-AD2AADProvisioning-job-schema-sample2.json"],
)
def test_cloud_sync_samples_scope_map_and_follow_changes(tmp_path: Path, schema: str) -> None:
    cloud, other = "OU=Cloud,DC=mydomain,DC=tld", "OU=Servers,DC=mydomain,DC=tld"
    users = [_ad_user(n, distinguishedName=f"CN=User {n},{cloud}") for n in range(30)]
    users[3]["userAccountControl"] = 514
    users[4]["employeeID"] = "E-0004"
    excluded = [
        _ad_user(40, distinguishedName=f"CN=Srv,{other}"),  # outside the OU the filter names
        _ad_user(41, distinguishedName=f"CN=Sync,{cloud}", sAMAccountName="MSOL_a1b2"),
        _ad_user(42, distinguishedName=f"CN=Room,{cloud}", msExchRecipientTypeDetails=536870912),  # `!&`
        _ad_user(43, distinguishedName=f"CN=Crit,{cloud}", isCriticalSystemObject=True),
    ]
    with _cloud_sync_job(tmp_path, {"user": [*users, *excluded]}, schema) as engine:
        plan = {op.source_id: op for op in engine.plan().operations}
        assert {i for i, op in plan.items() if op.reason == "FilteredOut"} == {u["id"] for u in excluded}
        first = engine.run_cycle()
        assert first.total(Action.CREATE) == 30 and first.total(Action.FAIL) == 0
        entra = _entra(tmp_path, key="onPremisesObjectIdentifier")
        zoe = entra["guid-000"]
        assert zoe["UserPrincipalName"] == "u000@contoso.com"  # UserPrincipalName <- [mail]
        if "sample2" in schema:  # SourceAnchor <- IIF(IsPresent([mS-DS-ConsistencyGuid]), ..., [objectGUID])
            assert zoe["SourceAnchor"] == "guid-000"
        else:  # SourceAnchor <- [employeeID]: none given, none invented
            assert "SourceAnchor" not in zoe and entra["guid-004"]["SourceAnchor"] == "E-0004"
        assert entra["guid-004"]["EmployeeId"] == "E-0004" and "EmployeeId" not in zoe  # nothing invented
        enabled = entra["guid-003"]["AccountEnabled"]
        assert enabled is ("sample2" in schema)  # sample2 maps the constant "True"

        users[1]["displayName"] = "Ana Renamed"
        users[2]["employeeID"] = "E-0002"
        del users[5]
        _write(tmp_path / "ad.json", {"user": [*users, *excluded]})
        second = engine.run_cycle()
        assert second.total(Action.FAIL) == 0 and second.total(Action.DELETE) == 1
        entra = _entra(tmp_path, key="onPremisesObjectIdentifier")
        assert (
            entra["guid-001"]["DisplayName"] == "Ana Renamed" and entra["guid-002"]["EmployeeId"] == "E-0002"
        )
        assert "guid-005" not in entra and len(entra) == 29
