"""The scim connector over real HTTP against scim2-server (a fresh tenant per test): paths, filters, patches,
members, manager, disable, delete, paging, change reads, 401 and 409, and what the entra dialect gets."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest

from connectors import (
    AuthenticationFailed,
    Change,
    ConnectionFailed,
    ConnectorConfigError,
    ConnectorContext,
    ConnectorError,
    DirectoryObject,
    Modification,
    ObjectConflict,
    ObjectRejected,
    Operation,
    Scalar,
    ValueOp,
    Watermark,
    create_connector,
)
from connectors.scim import ScimConnector
from tests.peers import free_port
from tests.peers.scim import ScimTenant

from .datastore import DictStore, drain

ENT = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
MANAGER = f"{ENT}:manager"
R, A, D = ValueOp.REPLACE, ValueOp.ADD, ValueOp.REMOVE

# Entra's default user mappings (spec entra-scim.md §1.2), one value each.
ENTRA_USER = {
    "userName": "ann.able@contoso.example",
    "active": "True",
    "displayName": "Ann Able",
    "title": "Engineer",
    'emails[type eq "work"].value': "ann@contoso.example",
    "preferredLanguage": "fr-FR",
    "name.givenName": "Ann",
    "name.familyName": "Able",
    "name.formatted": "Ann Able",
    'addresses[type eq "work"].formatted': "1 Main St, Paris",
    'addresses[type eq "work"].streetAddress': "1 Main St",
    'addresses[type eq "work"].locality': "Paris",
    'addresses[type eq "work"].region': "IDF",
    'addresses[type eq "work"].postalCode': "75001",
    'addresses[type eq "work"].country': "FR",
    'phoneNumbers[type eq "work"].value': "+33 1 23",
    'phoneNumbers[type eq "mobile"].value': "+33 6 45",
    'phoneNumbers[type eq "fax"].value': "+33 1 99",
    "externalId": "ann",
    f"{ENT}:employeeNumber": "42",
    f"{ENT}:department": "R&D",
}


@pytest.fixture
def scim(scim_tenant: ScimTenant) -> Iterator[ScimConnector]:
    connector = create_connector("scim", scim_tenant.settings(), ConnectorContext("SCIM App"))
    assert isinstance(connector, ScimConnector)
    yield connector
    connector.close()


@pytest.fixture
def entra(scim_tenant: ScimTenant) -> Iterator[ScimConnector]:
    connector = create_connector("scim", scim_tenant.settings(dialect="entra"), ConnectorContext("SCIM App"))
    assert isinstance(connector, ScimConnector)
    yield connector
    connector.close()


def create(object_type: str, key: str = "", **values: Scalar | tuple[Scalar, ...]) -> Change:
    mods = tuple(Modification(n, R, v if isinstance(v, tuple) else (v,)) for n, v in values.items())
    return Change(Operation.CREATE, object_type, modifications=mods, key=key)


def update(object_type: str, target: str, *mods: Modification) -> Change:
    return Change(Operation.UPDATE, object_type, target, tuple(mods), key=target)


def new_user(connector: ScimConnector, user_name: str, **values: Scalar | tuple[Scalar, ...]) -> str:
    [result] = connector.apply([create("User", user_name, userName=user_name, **values)])
    assert result.ok and result.target_id, result.error
    return result.target_id


def fetch(connector: ScimConnector, object_type: str, object_id: str) -> DirectoryObject:
    return connector.get(object_type, [object_id])[object_id]


def test_entra_default_user_attributes_round_trip_as_scim_paths(scim: ScimConnector) -> None:
    [created] = scim.apply([create("User", "ann", **ENTRA_USER)])
    uid = created.target_id or ""
    attributes = fetch(scim, "User", uid).attributes
    expected = {**ENTRA_USER, "active": True}
    assert {name: attributes.get(name) for name in expected} == expected
    # SCIM names are case-insensitive; Entra's own table writes .Value
    assert attributes.get('emails[type eq "Work"].Value') == "ann@contoso.example"


def test_object_names_may_be_the_core_schema_urns(scim: ScimConnector) -> None:
    urn = "urn:ietf:params:scim:schemas:core:2.0:User"
    uid = new_user(scim, "urn@example.org")
    assert set(scim.get(urn, [uid])) == {uid}
    assert [o.id for o in scim.find(urn, "userName", ["urn@example.org"])["urn@example.org"]] == [uid]
    with pytest.raises(ConnectorConfigError, match="unknown SCIM object type 'Device'"):
        scim.get("Device", [uid])


WORK_EMAIL = 'emails[type eq "work"].value'


@pytest.mark.parametrize(
    "value",
    ['quote " inside', "back\\slash", "*)(userName=*", 'both \\" mixed', "Zoë 日本語", "comma, and (x)"],
)
def test_find_escapes_filter_values_on_several_paths(scim: ScimConnector, value: str) -> None:
    target = new_user(
        scim, f"{value}@x", **{'emails[type eq "work"].value': value, f"{ENT}:department": value}
    )
    decoy = new_user(
        scim, "decoy@x", **{'emails[type eq "work"].value': "decoy", f"{ENT}:department": "decoy"}
    )
    for attribute, wanted in (("userName", f"{value}@x"), ('emails[type eq "work"].value', value),
                              (f"{ENT}:department", value)):  # fmt: skip
        found = scim.find("User", attribute, [wanted, "nobody"])
        assert list(found) == [wanted] and [o.id for o in found[wanted]] == [target], attribute
    assert decoy not in {
        o.id for objs in scim.find("User", "userName", [f"{value}@x"]).values() for o in objs
    }


def test_find_rejects_a_name_that_is_not_a_scim_path(scim: ScimConnector) -> None:
    with pytest.raises(ConnectorConfigError, match="not a SCIM attribute path"):
        scim.find("User", "emails[type ne]", ["x"])


def test_patches_replace_clear_and_create_missing_filtered_elements(scim: ScimConnector) -> None:
    uid = new_user(scim, "pat@x", title="Old", **{'addresses[type eq "home"].locality': "Lyon"})
    change = update(
        "User", uid,
        Modification("title", R, ("New",)),
        Modification("name.familyName", R, ("Able",)),
        Modification('addresses[type eq "work"].locality', R, ("Paris",)),   # no work address yet: created
        Modification('addresses[type eq "work"].postalCode', R, ("75001",)),  # ... in the same element
        Modification(f"{ENT}:employeeNumber", R, ("7",)),
    )  # fmt: skip
    assert [r.ok for r in scim.apply([change])] == [True]
    after = fetch(scim, "User", uid).attributes
    assert (
        after["title"] == "New"
        and after["name.familyName"] == "Able"
        and after[f"{ENT}:employeeNumber"] == "7"
    )
    assert after['addresses[type eq "work"].locality'] == "Paris"
    assert after['addresses[type eq "work"].postalCode'] == "75001"
    assert after['addresses[type eq "home"].locality'] == "Lyon", "the other element is untouched"
    city = Modification('addresses[type eq "work"].locality', R, ("Nice",))
    scim.apply([update("User", uid, Modification("title", R, ()), city)])
    after = fetch(scim, "User", uid).attributes
    assert "title" not in after and after['addresses[type eq "work"].locality'] == "Nice"
    assert after['addresses[type eq "home"].locality'] == "Lyon"


def test_members_and_manager_are_ids_of_this_directory(scim: ScimConnector) -> None:
    boss, u1, u2, u3 = (new_user(scim, f"{n}@x") for n in ("boss", "u1", "u2", "u3"))
    [created] = scim.apply([create("Group", "g", displayName="Team", members=(u1, u2))])
    gid = created.target_id or ""
    scim.apply(
        [update("Group", gid, Modification("members", A, (u3,)), Modification("members", D, (u1, u2)))]
    )
    assert fetch(scim, "Group", gid).attributes["members"] == [u3]
    scim.apply([update("User", u1, Modification(MANAGER, R, (boss,)))])
    assert fetch(scim, "User", u1).attributes[MANAGER] == boss
    found = scim.find("Group", "displayName", ["Team"])["Team"]
    assert [g.id for g in found] == [gid] and "members" not in found[0].attributes, (
        "lookups leave members out"
    )
    scim.apply([update("Group", gid, Modification("members", R, (u1, boss)))])
    assert sorted(fetch(scim, "Group", gid).attributes["members"]) == sorted([u1, boss])  # type: ignore[type-var]


def test_disable_is_active_false_and_the_user_stays_readable(scim: ScimConnector) -> None:
    uid = new_user(scim, "dis@x", active=True)
    scim.apply(
        [update("User", uid, Modification("active", R, ("False",)))]
    )  # Entra's Switch() yields strings
    assert fetch(scim, "User", uid).attributes["active"] is False
    assert [o.id for o in scim.find("User", "userName", ["dis@x"])["dis@x"]] == [uid]
    scim.apply([update("User", uid, Modification("active", R, (True,)))])
    assert fetch(scim, "User", uid).attributes["active"] is True
    assert scim.capabilities.soft_delete


def test_delete_twice_succeeds_and_update_of_a_deleted_object_is_rejected(scim: ScimConnector) -> None:
    uid = new_user(scim, "del@x")
    gone = Change(Operation.DELETE, "User", uid, key="d")
    assert [r.ok for r in scim.apply([gone, gone])] == [True, True]
    assert scim.get("User", [uid]) == {}
    [result] = scim.apply([update("User", uid, Modification("title", R, ("x",)))])
    assert isinstance(result.error, ObjectRejected) and "404" in str(result.error)


def test_changes_of_one_object_in_a_batch_stay_in_order(scim: ScimConnector) -> None:
    uid = new_user(scim, "order@x")
    batch = [update("User", uid, Modification("title", R, (f"t{i}",))) for i in range(6)]
    batch += [create("User", f"c{i}", userName=f"c{i}@x") for i in range(8)]
    results = scim.apply(batch)
    assert [r.key for r in results] == [c.key for c in batch] and all(r.ok for r in results)
    assert fetch(scim, "User", uid).attributes["title"] == "t5"
    assert len({r.target_id for r in results[6:]}) == 8


def test_full_read_pages_with_a_watermark_only_on_the_last_page(scim: ScimConnector) -> None:
    ids = {new_user(scim, f"p{i}@x") for i in range(7)}
    pages = list(scim.read("User", None, page_size=3, store=DictStore()))
    assert [len(p.objects) for p in pages] == [3, 3, 1]
    assert [p.watermark is None for p in pages] == [True, True, False]
    assert {o.id for p in pages for o in p.objects} == ids


def test_change_reads_page_by_keyset_and_never_deliver_twice(scim: ScimConnector) -> None:
    store = DictStore()
    ids = [new_user(scim, f"k{i}@x") for i in range(5)]
    _, mark = drain(scim.read("User", store=store), store)
    assert mark is not None
    for uid in ids[1:]:
        scim.apply([update("User", uid, Modification("title", R, ("changed",)))])
    marks: list[Watermark] = []
    seen: list[str] = []
    for page in scim.read("User", mark, page_size=2, store=store):
        assert len(page.objects) <= 2 and page.watermark is not None
        store.commit(page)
        marks.append(page.watermark)
        seen.extend(o.id for o in page.objects)
    assert seen == ids[1:], "in lastModified order, each once"
    assert all(a.is_before_or_at(b) for a, b in zip([mark, *marks], marks, strict=False))
    again, last = drain(scim.read("User", marks[-1], store=store), store)
    assert again == [] and last == marks[-1], "the boundary ids are not delivered again"


def test_change_read_without_store_reports_no_tombstones(scim: ScimConnector) -> None:
    uid = new_user(scim, "nostore@x")
    _, mark = drain(scim.read("User"))
    scim.apply([Change(Operation.DELETE, "User", uid, key="x")])
    objects, _ = drain(scim.read("User", mark))
    assert objects == []


def test_wrong_token_is_fatal(scim_tenant: ScimTenant) -> None:
    settings = {"baseAddress": scim_tenant.base_address, "secretToken": "wrong"}
    with create_connector("scim", settings, ConnectorContext("SCIM App")) as bad:
        with pytest.raises(AuthenticationFailed, match="refused the secret token") as caught:
            bad.apply([create("User", "a", userName="a@x")])
        assert caught.value.policy == "fatal"
        with pytest.raises(AuthenticationFailed):
            bad.validate_credentials()


def test_duplicate_user_name_is_a_skippable_conflict(scim: ScimConnector) -> None:
    new_user(scim, "dup@x")
    results = scim.apply([create("User", "again", userName="DUP@x"), create("User", "other", userName="o@x")])
    assert isinstance(results[0].error, ObjectConflict) and results[0].error.policy == "skippable"
    assert "uniqueness" in str(results[0].error)
    assert results[1].ok


def test_validate_credentials_is_entras_test_connection(scim: ScimConnector, scim_tenant: ScimTenant) -> None:
    scim.validate_credentials()
    root = scim_tenant.base_address.rsplit("/", 2)[0]
    settings = {"baseAddress": f"{root}/v2/not-scim", "secretToken": scim_tenant.token}
    wrong = create_connector("scim", settings, ConnectorContext("SCIM App"))
    with wrong, pytest.raises(ConnectionFailed, match="HTTP 404 to the test"):
        wrong.validate_credentials()


def test_describe_lists_scim_paths_with_types(scim: ScimConnector) -> None:
    definition = scim.describe()
    objects = {o["name"]: {a["name"]: a for a in o["attributes"]} for o in definition["objects"]}
    user, group = objects["User"], objects["Group"]
    assert user["active"]["type"] == "Boolean" and user["userName"]["required"] is True
    assert user['emails[type eq "work"].value']["type"] == "String"
    assert user[MANAGER]["type"] == "Reference"
    assert user[MANAGER]["referencedObjects"] == [{"referencedObjectName": "User"}]
    assert group["members"]["multivalued"] is True and group["members"]["type"] == "Reference"
    assert user["id"]["anchor"] is True and user["id"]["mutability"] == "ReadOnly"


# -- the entra dialect against scim2-server: what it accepts and what it refuses ----------------------------


def test_entra_dialect_user_lifecycle_works_on_scim2_server(entra: ScimConnector) -> None:
    uid = new_user(entra, "ent@x", active="True", **{WORK_EMAIL: "ent@x"})
    entra.apply(
        [update("User", uid, Modification("active", R, ("False",)), Modification("title", R, ("T",)))]
    )
    after = fetch(entra, "User", uid).attributes
    assert after["active"] is False and after["title"] == "T"
    assert after['emails[type eq "work"].primary'] is True, "Entra marks the work email primary"


def test_entra_dialect_shapes_scim2_server_refuses(entra: ScimConnector, scim: ScimConnector) -> None:
    boss, member = new_user(entra, "b@x"), new_user(entra, "m@x")
    [group] = entra.apply([create("Group", "g", displayName="G")])
    assert isinstance(group.error, ObjectRejected) and "Unknown extension" in str(group.error), (
        "scim2-server refuses Entra's ADSCIM group schema URN (peers/README §2.1 #3)"
    )
    [manager] = entra.apply([update("User", member, Modification(MANAGER, R, (boss,)))])
    assert isinstance(manager.error, ObjectRejected), "a plain-string manager is refused (peers §2.1 #2)"
    [made] = scim.apply([create("Group", "g2", displayName="G2", members=(member,))])
    gid = made.target_id or ""
    [add] = entra.apply([update("Group", gid, Modification("members", A, (boss,)))])
    assert add.ok, "Add members with $ref null is accepted"
    [remove] = entra.apply([update("Group", gid, Modification("members", D, (boss,)))])
    assert isinstance(remove.error, ObjectRejected), "Remove with a value array is refused (peers §2.1 #1)"
    assert sorted(fetch(scim, "Group", gid).attributes["members"]) == sorted([member, boss])  # type: ignore[type-var]


def test_unreachable_server_is_a_fast_fatal_error() -> None:
    settings = {
        "baseAddress": f"http://127.0.0.1:{free_port()}/scim/v2",
        "secretToken": "t",
        "timeoutSeconds": 2,
    }
    dead = create_connector("scim", settings, ConnectorContext("SCIM App"))
    started = time.monotonic()
    with dead, pytest.raises(ConnectionFailed, match="cannot reach the SCIM server") as caught:
        dead.validate_credentials()
    assert caught.value.policy == "fatal" and time.monotonic() - started < 5
    assert isinstance(caught.value.__cause__, httpx.ConnectError)
    assert str(settings["baseAddress"]) in str(caught.value)


def test_a_foreign_watermark_is_a_clear_error(scim: ScimConnector) -> None:
    with pytest.raises(ConnectorError, match=r"not a SCIM meta\.lastModified time; restart"):
        list(scim.read("User", Watermark("yesterday")))


def test_a_filter_the_server_refuses_names_the_filter(scim: ScimConnector) -> None:
    with pytest.raises(ConnectorError, match=r"filter=nosuch\[type eq \"x\"\].value eq") as caught:
        scim.find("User", 'nosuch[type eq "x"].value', ["v"])
    assert "HTTP 400" in str(caught.value)
