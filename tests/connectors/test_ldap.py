"""The ldap connector's own behaviour against a real slapd (the shared suite: test_contract_ldap.py)."""

from __future__ import annotations

import base64
import socket
import time
from collections.abc import Iterator
from typing import Any

import ldap
import pytest

from connectors import (
    AuthenticationFailed,
    Change,
    ConnectionFailed,
    Connector,
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
from tests.peers import free_port
from tests.peers.slapd import LdapSubtree, SlapdServer

from .datastore import DictStore, drain

pytestmark = pytest.mark.peer

CONTEXT = ConnectorContext("LDAP")


@pytest.fixture
def tree(ldap_subtree: LdapSubtree) -> LdapSubtree:
    return ldap_subtree


@pytest.fixture
def conn(tree: LdapSubtree) -> Iterator[Connector]:
    connector = create_connector("ldap", tree.settings(), CONTEXT)
    yield connector
    connector.close()


@pytest.fixture
def raw(tree: LdapSubtree) -> Iterator[Any]:
    """A plain python-ldap connection: another client changing the directory behind the connector's back."""
    client = ldap.initialize(tree.server.url)
    client.simple_bind_s(tree.server.bind_dn, tree.server.password)
    yield client
    client.unbind_s()


def user(uid: str, **values: tuple[Scalar, ...]) -> Change:
    initial: dict[str, tuple[Scalar, ...]] = {"uid": (uid,), "cn": (f"cn {uid}",), "sn": ("Tester",)}
    initial.update(values)
    mods = tuple(Modification(name, ValueOp.REPLACE, vals) for name, vals in initial.items())
    return Change(Operation.CREATE, "User", modifications=mods, key=uid)


def update(object_type: str, target: str, *mods: Modification) -> Change:
    return Change(Operation.UPDATE, object_type, target, mods, key=target)


def created(conn: Connector, *changes: Change) -> list[str]:
    results = conn.apply(changes)
    assert all(r.ok for r in results), [str(r.error) for r in results]
    return [r.target_id or "" for r in results]


def dn_of(raw: Any, tree: LdapSubtree, anchor: str) -> str:
    [(dn, _)] = raw.search_s(tree.dn, ldap.SCOPE_SUBTREE, f"(entryUUID={anchor})", ["1.1"])
    return str(dn)


# --- settings ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "setting"),
    [
        ({"url": None}, "url"),
        ({"url": "http://example.org"}, "url"),
        ({"bindDn": "not a dn"}, "bindDn"),
        ({"objects": {}}, "objects"),
        ({"objects": {"User": {"baseDn": "ou=x,dc=example,dc=org"}}}, "objects.User.objectClass"),
        ({"objects": {"User": {"baseDn": "nope", "objectClass": "person"}}}, "objects.User.baseDn"),
        (
            {"objects": {"User": {"baseDn": "ou=x", "objectClass": "person", "fliter": "(a=b)"}}},
            "objects.User.fliter",
        ),
        (
            {"objects": {"User": {"baseDn": "ou=x", "objectClass": "person", "filter": "(a=b"}}},
            "objects.User.filter",
        ),
        ({"startTls": "yes"}, "startTls"),
        ({"softDelete": 1}, "softDelete"),
        ({"timeoutSeconds": 0}, "timeoutSeconds"),
        ({"pasword": "typo"}, "pasword"),
    ],
)
def test_bad_settings_name_the_key(tree: LdapSubtree, change: dict[str, Any], setting: str) -> None:
    settings = tree.settings()
    settings.update(change)
    if change.get("url", "") is None:
        del settings["url"]
    with pytest.raises(ConnectorConfigError) as caught:
        create_connector("ldap", settings, CONTEXT)
    assert caught.value.setting == setting
    assert setting in str(caught.value)


def test_soft_delete_is_off_unless_the_settings_say_a_mapping_disables(tree: LdapSubtree) -> None:
    assert create_connector("ldap", tree.settings(), CONTEXT).capabilities.soft_delete is False
    assert create_connector("ldap", tree.settings(softDelete=True), CONTEXT).capabilities.soft_delete is True


def test_unconfigured_object_type_is_a_config_error(conn: Connector) -> None:
    with pytest.raises(ConnectorConfigError, match=r"objects\.Contact"):
        list(conn.read("Contact"))


def test_wrong_password_is_an_authentication_failure(tree: LdapSubtree) -> None:
    connector = create_connector("ldap", tree.settings(password="wrong"), CONTEXT)
    with pytest.raises(AuthenticationFailed, match="bindDn and password") as caught:
        connector.validate_credentials()
    assert caught.value.policy == "fatal"


def test_missing_base_dn_is_named(tree: LdapSubtree) -> None:
    settings = tree.settings()
    settings["objects"]["User"]["baseDn"] = f"ou=nowhere,{tree.dn}"  # type: ignore[index]
    with pytest.raises(ConnectorConfigError) as caught:
        create_connector("ldap", settings, CONTEXT).validate_credentials()
    assert caught.value.setting == "objects.User.baseDn"


def test_closed_port_fails_fast(tree: LdapSubtree) -> None:
    connector = create_connector("ldap", tree.settings(url=f"ldap://127.0.0.1:{free_port()}"), CONTEXT)
    started = time.monotonic()
    with pytest.raises(ConnectionFailed, match="cannot reach the LDAP server"):
        connector.validate_credentials()
    assert time.monotonic() - started < 5


def _org_settings(server: SlapdServer, **extra: object) -> dict[str, Any]:
    """Settings reading the suffix entry (an organization) of a server of its own."""
    base = server.base_dn
    objects = {"Org": {"baseDn": base, "objectClass": "organization"}}
    settings = {"url": server.url, "bindDn": server.bind_dn, "password": server.password, "baseDn": base}
    return {**settings, "objects": objects, "timeoutSeconds": 5, **extra}


def test_start_tls_with_the_servers_certificate(slapd_tls: SlapdServer) -> None:
    # caFile is relative to the job file's folder
    context = ConnectorContext("LDAP", base_dir=slapd_tls.ca_file.parent)
    with create_connector(
        "ldap", _org_settings(slapd_tls, startTls=True, caFile=slapd_tls.ca_file.name), context
    ) as conn:
        conn.validate_credentials()
        objects, _ = drain(conn.read("Org", store=DictStore()))
    assert [o.attributes["o"] for o in objects] == [["example"]]


def test_start_tls_with_an_untrusted_certificate_is_refused(slapd_tls: SlapdServer) -> None:
    connector = create_connector("ldap", _org_settings(slapd_tls, startTls=True), CONTEXT)
    with pytest.raises(ConnectionFailed, match="startTls and caFile") as caught:
        connector.validate_credentials()
    assert caught.value.policy == "fatal"


def test_start_tls_refused_by_a_plain_server_is_fatal(tree: LdapSubtree) -> None:
    connector = create_connector("ldap", tree.settings(startTls=True, timeoutSeconds=3), CONTEXT)
    with pytest.raises(ConnectorError) as caught:
        connector.validate_credentials()
    assert caught.value.policy == "fatal"


# --- escaping ----------------------------------------------------------------------------------------------


def test_a_filter_looking_name_matches_only_itself(conn: Connector) -> None:
    alice, bob, tricky = created(conn, user("alice"), user("bob"), user("*)(uid=*"))
    found = conn.find("User", "uid", ["*)(uid=*", "bob"])
    assert sorted(found) == ["*)(uid=*", "bob"]
    assert [o.id for o in found["*)(uid=*"]] == [tricky]
    assert [o.id for o in found["bob"]] == [bob]
    assert conn.find("User", "uid", ["*"]) == {}
    assert {o.id for o in conn.find("User", "uid", ["alice"])["alice"]} == {alice}


@pytest.mark.parametrize(
    "uid", ["a,b", "a+b", '"quoted"', "back\\slash", "#hash", " lead", "trail ", "x=y;z<>"]
)
def test_dn_special_characters_are_escaped(conn: Connector, raw: Any, tree: LdapSubtree, uid: str) -> None:
    [anchor] = created(conn, user(uid))
    assert conn.get("User", [anchor])[anchor].attributes["uid"] == [uid]
    assert ldap.dn.str2dn(dn_of(raw, tree, anchor))[0][0][1] == uid


# --- values ------------------------------------------------------------------------------------------------


def test_values_follow_the_schema(conn: Connector) -> None:
    photo = base64.b64encode(b"\xff\xd8\xff\xe0 not really a jpeg").decode()
    [anchor] = created(
        conn, user("typed", displayName=("Typed User",), description=("one",), jpegPhoto=(photo,))
    )
    obj = conn.get("User", [anchor])[anchor]
    assert obj.attributes["displayName"] == "Typed User"  # SINGLE-VALUE: a scalar
    assert obj.attributes["description"] == ["one"]  # multi-valued: always a list
    assert obj.attributes["jpegPhoto"] == [photo]  # binary syntax: base64
    assert obj.attributes["entryUUID"] == anchor
    created_at = obj.attributes["createTimestamp"]
    assert isinstance(created_at, str) and created_at.endswith("Z") and created_at[4] == "-"
    assert "entryCSN" not in obj.attributes and isinstance(obj.cursor, str)


def test_integers_read_as_int(tree: LdapSubtree) -> None:
    settings = tree.settings()
    settings["objects"]["User"]["objectClass"] = ["inetOrgPerson", "posixAccount"]  # type: ignore[index]
    with create_connector("ldap", settings, CONTEXT) as conn:
        posix = {"uidNumber": (1234,), "gidNumber": ("100",), "homeDirectory": ("/home/p",)}
        [anchor] = created(conn, user("posix", **posix))
        obj = conn.get("User", [anchor])[anchor]
        assert obj.attributes["uidNumber"] == 1234 and obj.attributes["gidNumber"] == 100
        [bad] = conn.apply([update("User", anchor, Modification("uidNumber", ValueOp.REPLACE, ("many",)))])
        assert isinstance(bad.error, ObjectRejected) and "uidNumber" in str(bad.error)


def test_schema_violations_come_back_per_change(conn: Connector) -> None:
    no_sn = Change(
        Operation.CREATE, "User", modifications=(Modification("uid", ValueOp.REPLACE, ("x",)),), key="k1"
    )
    results = conn.apply([no_sn, user("dup"), user("dup"), user("fine")])
    assert isinstance(results[0].error, ObjectRejected) and not isinstance(results[0].error, ObjectConflict)
    assert "uid=x,ou=people" in str(results[0].error) and "sn" in str(results[0].error)  # which entry, why
    assert results[1].ok and isinstance(results[2].error, ObjectConflict) and results[3].ok
    no_rdn = Change(Operation.CREATE, "User", modifications=(Modification("sn", ValueOp.REPLACE, ("x",)),))
    [missing] = conn.apply([no_rdn])
    assert isinstance(missing.error, ObjectRejected) and "rdnAttribute" in str(missing.error)


# --- writes ------------------------------------------------------------------------------------------------


def test_changing_the_naming_attribute_renames_the_entry(
    conn: Connector, raw: Any, tree: LdapSubtree
) -> None:
    [anchor] = created(conn, user("before"))
    [gid] = created(
        conn,
        Change(
            Operation.CREATE,
            "Group",
            modifications=(
                Modification("cn", ValueOp.REPLACE, ("staff",)),
                Modification("member", ValueOp.REPLACE, (anchor,)),
            ),
        ),
    )
    created(conn, update("User", anchor, Modification("uid", ValueOp.REPLACE, ("after",))))
    assert dn_of(raw, tree, anchor) == f"uid=after,ou=people,{tree.dn}"
    assert conn.get("User", [anchor])[anchor].attributes["uid"] == ["after"]
    assert conn.get("Group", [gid])[gid].attributes["member"] == [anchor]
    assert [o.id for o in conn.find("User", "uid", ["after"])["after"]] == [anchor]


def test_an_entry_renamed_behind_our_back_is_found_again(
    conn: Connector, raw: Any, tree: LdapSubtree
) -> None:
    [anchor] = created(conn, user("moving"))
    raw.rename_s(dn_of(raw, tree, anchor), "uid=moved")
    created(conn, update("User", anchor, Modification("description", ValueOp.REPLACE, ("still me",))))
    assert conn.get("User", [anchor])[anchor].attributes["description"] == ["still me"]
    created(conn, Change(Operation.DELETE, "User", anchor))
    assert conn.get("User", [anchor]) == {}


def test_groups_may_be_empty(conn: Connector) -> None:
    [u1] = created(conn, user("member1"))
    group = Change(
        Operation.CREATE, "Group", modifications=(Modification("cn", ValueOp.REPLACE, ("empty",)),)
    )
    [gid] = created(conn, group)
    assert conn.get("Group", [gid])[gid].attributes["member"] == []
    created(conn, update("Group", gid, Modification("member", ValueOp.ADD, (u1,))))
    assert conn.get("Group", [gid])[gid].attributes["member"] == [u1]
    created(conn, update("Group", gid, Modification("member", ValueOp.REMOVE, (u1,))))
    assert conn.get("Group", [gid])[gid].attributes["member"] == []
    created(conn, update("Group", gid, Modification("member", ValueOp.REPLACE, ())))
    assert conn.get("Group", [gid])[gid].attributes["member"] == []


def test_add_and_remove_are_idempotent(conn: Connector) -> None:
    [anchor] = created(conn, user("idem", description=("a",)))
    created(conn, update("User", anchor, Modification("description", ValueOp.ADD, ("a", "b"))))
    created(conn, update("User", anchor, Modification("description", ValueOp.REMOVE, ("zzz",))))
    assert sorted(conn.get("User", [anchor])[anchor].attributes["description"]) == ["a", "b"]  # type: ignore[type-var]


def test_unknown_reference_is_rejected_for_that_change(conn: Connector) -> None:
    [anchor] = created(conn, user("lonely"))
    [result] = conn.apply([update("User", anchor, Modification("manager", ValueOp.REPLACE, ("no-such-id",)))])
    assert isinstance(result.error, ObjectRejected) and "no-such-id" in str(result.error)


# --- references read by a fresh connector ------------------------------------------------------------------


@pytest.mark.parametrize("count", [3, 250])  # 250: past the bulk threshold, one anchor scan resolves them
def test_member_dns_resolve_without_a_warm_cache(tree: LdapSubtree, conn: Connector, count: int) -> None:
    users = created(conn, *[user(f"m{i:03d}") for i in range(count)])
    group = (
        Modification("cn", ValueOp.REPLACE, ("big",)),
        Modification("member", ValueOp.REPLACE, tuple(users)),
    )
    [gid] = created(conn, Change(Operation.CREATE, "Group", modifications=group))
    with create_connector("ldap", tree.settings(), CONTEXT) as fresh:
        objects, _ = drain(fresh.read("Group"))
    assert [o.id for o in objects] == [gid]
    assert sorted(objects[0].attributes["member"]) == sorted(users)  # type: ignore[type-var]


# --- change tracking ---------------------------------------------------------------------------------------


def read_all(
    conn: Connector, store: DictStore, since: Watermark | None
) -> tuple[list[DirectoryObject], Watermark]:
    objects, mark = drain(conn.read("User", since, store=store), store)
    assert mark is not None
    return objects, mark


def test_changes_by_other_clients_and_moves_out_of_scope(
    conn: Connector, raw: Any, tree: LdapSubtree
) -> None:
    stay, edited, gone, moved = created(conn, user("stay"), user("edited"), user("gone"), user("moved"))
    store = DictStore()
    _, mark = read_all(conn, store, None)
    raw.modify_s(dn_of(raw, tree, edited), [(ldap.MOD_REPLACE, "title", [b"Boss"])])
    raw.delete_s(dn_of(raw, tree, gone))
    raw.rename_s(dn_of(raw, tree, moved), "uid=moved", newsuperior=tree.dn)  # out of ou=people
    changes, mark2 = read_all(conn, store, mark)
    summary = {o.id: (o.deleted, o.attributes.get("title")) for o in changes}
    assert summary == {edited: (False, ["Boss"]), gone: (True, None), moved: (True, None)}
    assert stay in store.data and gone not in store.data
    again, _ = read_all(conn, store, mark2)
    assert again == []


def test_leaving_the_filter_is_a_deletion(tree: LdapSubtree, raw: Any) -> None:
    settings = tree.settings()
    settings["objects"]["User"]["filter"] = "(employeeType=staff)"  # type: ignore[index]
    with create_connector("ldap", settings, CONTEXT) as conn:
        [anchor] = created(conn, user("filtered", employeeType=("staff",)))
        store = DictStore()
        first, mark = read_all(conn, store, None)
        assert [o.id for o in first] == [anchor]
        raw.modify_s(dn_of(raw, tree, anchor), [(ldap.MOD_REPLACE, "employeeType", [b"former"])])
        changes, _ = read_all(conn, store, mark)
        assert [(o.id, o.deleted) for o in changes] == [(anchor, True)]


def test_the_boundary_object_is_not_delivered_twice(conn: Connector) -> None:
    [anchor] = created(conn, user("edge"))
    store = DictStore()
    _, mark = read_all(conn, store, None)
    assert anchor in mark.boundary_ids  # the last write is exactly at the signpost
    again, mark2 = read_all(conn, store, mark)
    assert again == [] and mark2 == mark
    without_boundary = Watermark(mark.cursor)
    redelivered, _ = read_all(conn, store, without_boundary)
    assert [o.id for o in redelivered] == [anchor]  # closed lower bound: >= the cursor


def test_incremental_read_needs_the_data_store(conn: Connector) -> None:
    with pytest.raises(ConnectorError, match="data store"):
        list(conn.read("User", Watermark("20260101000000.000000Z#000000#000#000000")))


# --- describe ----------------------------------------------------------------------------------------------


def test_describe_comes_from_the_server_schema(conn: Connector) -> None:
    definition = conn.describe()
    assert definition["name"] == "LDAP"
    objects = {o["name"]: {a["name"]: a for a in o["attributes"]} for o in definition["objects"]}
    users, groups = objects["User"], objects["Group"]
    assert users["entryUUID"]["anchor"] and users["entryUUID"]["mutability"] == "ReadOnly"
    assert users["sn"]["required"] and not users["mail"]["required"]
    assert users["displayName"]["multivalued"] is False and users["mail"]["multivalued"] is True
    assert users["manager"]["type"] == "Reference"
    assert [r["referencedObjectName"] for r in users["manager"]["referencedObjects"]] == ["User"]
    assert groups["member"]["type"] == "Reference" and groups["member"]["required"]
    assert users["jpegPhoto"]["type"] == "Binary"
    assert users["memberOf"]["mutability"] == "ReadOnly" and users["createTimestamp"]["type"] == "DateTime"


def test_describe_names_an_unknown_object_class(tree: LdapSubtree) -> None:
    settings = tree.settings()
    settings["objects"]["User"]["objectClass"] = "personne"  # type: ignore[index]
    with pytest.raises(ConnectorConfigError) as caught:
        create_connector("ldap", settings, CONTEXT).describe()
    assert caught.value.setting == "objects.User.objectClass"


@pytest.mark.parametrize(("bulk", "index_limit"), [(False, None), (True, None), (False, 4), (True, 4)])
def test_references_to_later_pages_resolve_mid_read(
    tree: LdapSubtree, conn: Connector, monkeypatch: pytest.MonkeyPatch, bulk: bool, index_limit: int | None
) -> None:
    # each user's manager is created after them, so a fresh reader meets the manager's DN before its entry;
    # the lookups happen between pages of the read and must not disturb its paging
    if bulk:
        monkeypatch.setattr("connectors.ldap._lookups.BULK_RESOLVE", 0)  # force the anchor scan
    if index_limit:
        monkeypatch.setattr("connectors.ldap._entries.INDEX_LIMIT", index_limit)  # the index keeps restarting
    ids = created(conn, *[user(f"chain{i:02d}") for i in range(12)])
    created(
        conn,
        *[update("User", ids[i], Modification("manager", ValueOp.REPLACE, (ids[i + 1],))) for i in range(11)],
    )
    with create_connector("ldap", tree.settings(), CONTEXT) as fresh:
        objects, _ = drain(fresh.read("User", page_size=3, store=DictStore()))
        managers = {o.id: o.attributes.get("manager") for o in objects}
        assert len(objects) == 12
        # manager is multi-valued in the cosine schema, so it reads as a list
        assert managers == {ids[i]: [ids[i + 1]] if i < 11 else None for i in range(12)}
        found = fresh.find("User", "manager", [ids[5]])
        assert [o.id for o in found[ids[5]]] == [ids[4]]


def test_a_read_abandoned_midway_leaves_the_connector_usable(conn: Connector) -> None:
    ids = created(conn, *[user(f"early{i}") for i in range(7)])
    pages = conn.read("User", page_size=2, store=DictStore())
    first = next(pages)
    assert len(first.objects) == 2
    pages.close()  # type: ignore[attr-defined]
    assert set(conn.get("User", ids)) == set(ids)
    objects, _ = drain(conn.read("User", page_size=2, store=DictStore()))
    assert {o.id for o in objects} == set(ids)


def test_a_restarted_server_is_reconnected_to() -> None:
    # a server of its own: this test stops it
    with SlapdServer() as server, create_connector("ldap", _org_settings(server), CONTEXT) as conn:
        assert len(drain(conn.read("Org", store=DictStore()))[0]) == 1
        assert server.process is not None
        server.process.terminate()
        server.process.wait()
        with pytest.raises(ConnectionFailed):
            conn.get("Org", ["anything"])
        server.restart()
        assert len(drain(conn.read("Org", store=DictStore()))[0]) == 1
        [org] = drain(conn.read("Org", store=DictStore()))[0]
        assert conn.get("Org", [org.id])[org.id].attributes["o"] == ["example"]


def test_a_server_size_limit_is_an_error_never_a_short_read() -> None:
    # slapd's default size limit (500) also caps paged searches of ordinary binds: the read must say so
    people = "".join(
        f"dn: cn=p{i},dc=example,dc=org\nobjectClass: person\ncn: p{i}\nsn: s\n\n" for i in range(12)
    )
    reader = "dn: cn=reader,dc=example,dc=org\nobjectClass: person\ncn: reader\nsn: r\nuserPassword: pw\n\n"
    with SlapdServer(ldif=reader + people) as server:
        config = ldap.initialize(server.url)
        config.simple_bind_s("cn=admin,cn=config", server.password)
        config.modify_s("olcDatabase={-1}frontend,cn=config", [(ldap.MOD_REPLACE, "olcSizeLimit", [b"5"])])
        settings = {**_org_settings(server), "bindDn": "cn=reader,dc=example,dc=org", "password": "pw"}
        settings["objects"] = {"Person": {"baseDn": server.base_dn, "objectClass": "person"}}
        with create_connector("ldap", settings, CONTEXT) as conn:
            with pytest.raises(ConnectorError, match="size limit") as caught:
                drain(conn.read("Person", page_size=4, store=DictStore()))
            assert caught.value.policy == "fatal"


def test_passwords_are_written_never_read(conn: Connector, tree: LdapSubtree, raw: Any) -> None:
    [anchor] = created(conn, user("secret", userPassword=("s3cret pass",)))
    dn = dn_of(raw, tree, anchor)
    as_user = ldap.initialize(tree.server.url)
    as_user.simple_bind_s(dn, "s3cret pass")  # the password works
    as_user.unbind_s()
    assert "userPassword" not in conn.get("User", [anchor])[anchor].attributes
    objects, _ = drain(conn.read("User", store=DictStore()))
    assert all("userPassword" not in o.attributes for o in objects)
    users = {o["name"]: o for o in conn.describe()["objects"]}["User"]
    password = {a["name"]: a for a in users["attributes"]}["userPassword"]
    assert password["mutability"] == "WriteOnly" and password["type"] == "String"


def test_group_of_unique_names(tree: LdapSubtree, raw: Any) -> None:
    settings = tree.settings()
    settings["objects"]["Group"]["objectClass"] = "groupOfUniqueNames"  # type: ignore[index]
    with create_connector("ldap", settings, CONTEXT) as conn:
        u1, u2 = created(conn, user("uniq1"), user("uniq2"))
        group = (
            Modification("cn", ValueOp.REPLACE, ("unique",)),
            Modification("uniqueMember", ValueOp.REPLACE, (u1,)),
        )
        [gid] = created(conn, Change(Operation.CREATE, "Group", modifications=group))
        created(conn, update("Group", gid, Modification("uniqueMember", ValueOp.ADD, (u2,))))
        [(group_dn, _)] = raw.search_s(tree.dn, ldap.SCOPE_SUBTREE, "(cn=unique)", ["1.1"])
        members = conn.get("Group", [gid])[gid].attributes["uniqueMember"]
        assert sorted(members) == sorted([u1, u2])  # type: ignore[type-var]
        created(conn, update("Group", gid, Modification("uniqueMember", ValueOp.REMOVE, (u1, u2))))
        assert conn.get("Group", [gid])[gid].attributes["uniqueMember"] == []
        u3 = created(conn, user("uniq3"))[0]
        u3_dn = dn_of(raw, tree, u3)
        # another client adds a member with the optional unique id (RFC 4517 Name and Optional UID)
        raw.modify_s(group_dn, [(ldap.MOD_ADD, "uniqueMember", [f"{u3_dn}#'0101'B".encode()])])
        with create_connector("ldap", settings, CONTEXT) as fresh:
            assert fresh.get("Group", [gid])[gid].attributes["uniqueMember"] == [u3]


def test_a_server_that_never_answers_fails_fast(tree: LdapSubtree) -> None:
    # a listening socket nobody serves: TCP connects (the kernel's backlog), the bind never gets a reply
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        url = f"ldap://127.0.0.1:{silent.getsockname()[1]}"
        connector = create_connector("ldap", tree.settings(url=url, timeoutSeconds=1), CONTEXT)
        started = time.monotonic()
        with pytest.raises(ConnectionFailed, match="did not answer within 1 s"):
            connector.validate_credentials()
        assert time.monotonic() - started < 4


def test_reading_under_a_missing_base_dn_is_a_config_error(tree: LdapSubtree) -> None:
    settings = tree.settings()
    settings["objects"]["User"]["baseDn"] = f"ou=gone,{tree.dn}"  # type: ignore[index]
    with create_connector("ldap", settings, CONTEXT) as conn:
        with pytest.raises(ConnectorConfigError) as caught:
            drain(conn.read("User", store=DictStore()))
        assert caught.value.setting == "objects.User.baseDn" and caught.value.policy == "fatal"
        assert conn.get("User", ["x"]) == {} and conn.find("User", "uid", ["x"]) == {}


def test_find_by_a_name_that_is_not_an_ldap_attribute(conn: Connector) -> None:
    with pytest.raises(ConnectorConfigError, match="not an LDAP attribute name"):
        conn.find("User", "name.givenName", ["x"])
    assert conn.find("User", "2.5.4.4", ["nobody"]) == {}  # an OID is fine (sn)


def test_without_a_csn_cursor_an_incremental_read_is_full_and_still_reports_deletions(
    conn: Connector, raw: Any, tree: LdapSubtree
) -> None:
    # what a read from Watermark(None) does (the watermark of a server that keeps no entryCSN/contextCSN)
    keep, gone = created(conn, user("keep"), user("gone"))
    store = DictStore()
    read_all(conn, store, None)
    raw.delete_s(dn_of(raw, tree, gone))
    objects, _ = read_all(conn, store, Watermark(None))
    assert sorted((o.id, o.deleted) for o in objects) == sorted([(keep, False), (gone, True)])
    assert set(store.data) == {keep}


def test_a_binary_anchor_is_refused_clearly(tree: LdapSubtree, conn: Connector) -> None:
    photo = base64.b64encode(b"\xff\xd8\xff binary").decode()
    created(conn, user("binary", jpegPhoto=(photo,)))
    with create_connector("ldap", tree.settings(anchor="jpegPhoto"), CONTEXT) as by_photo:
        with pytest.raises(ConnectorConfigError, match="binary values") as caught:
            drain(by_photo.read("User", store=DictStore()))
        assert caught.value.setting == "anchor"
