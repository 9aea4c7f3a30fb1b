"""The graph connector's own behaviour against the Graph peer over HTTPS: names and ``$select``, delta rounds
(soft and hard deletes, restores, members), 410 resync, throttling, token refresh and the precise
authentication errors, ``scope: assigned``, and settings errors."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest

from connectors import (
    AuthenticationFailed,
    Connector,
    ConnectorConfigError,
    ConnectorContext,
    DirectoryObject,
    RetriableConnectorError,
    Watermark,
    create_connector,
)
from tests.peers.graph import GraphPeer
from tests.peers.graph import graph_peer as graph_peer

from .datastore import DictStore, drain

_ = graph_peer
SCHEMA_USER = (
    "objectId",
    "IsSoftDeleted",
    "accountEnabled",
    "userPrincipalName",
    "displayName",
    "telephoneNumber",
    "physicalDeliveryOfficeName",
    "extensionAttribute3",
    "extension_0123abcd_costCenter",
    "manager",
)


def _connector(peer: GraphPeer, sleeps: list[float] | None = None, **settings: Any) -> Connector:
    options: dict[str, Any] = {"sleep": (sleeps.append if sleeps is not None else lambda _s: None)}
    context = ConnectorContext(
        "Azure Active Directory",
        attributes={"User": SCHEMA_USER, "Group": ("objectId", "displayName", "members")},
        options=options,
    )
    return create_connector("graph", peer.settings(**settings), context)


@pytest.fixture
def graph(graph_peer: GraphPeer) -> Iterator[Connector]:
    connector = _connector(graph_peer)
    yield connector
    connector.close()


def _read(
    connector: Connector, object_type: str, since: Watermark | None, store: DictStore
) -> tuple[list[DirectoryObject], Watermark | None]:
    """A whole read with the store passed in and committed page by page, as the engine does."""
    return drain(connector.read(object_type, since, store=store), store)


def _by_id(objects: list[DirectoryObject]) -> dict[str, DirectoryObject]:
    return {o.id: o for o in objects}


def test_select_is_the_schema_attributes_under_their_graph_names(
    graph: Connector, graph_peer: GraphPeer
) -> None:
    t = graph_peer.tenant
    boss = t.add_user(displayName="Boss", userPrincipalName="boss@contoso.test")
    ann = t.add_user(
        displayName="Ann",
        userPrincipalName="ann@contoso.test",
        businessPhones=["+1 555 0100", "x"],
        officeLocation="B12",
        onPremisesExtensionAttributes={"extensionAttribute3": "E3"},
        extension_0123abcd_costCenter="CC-7",
        manager=boss,
        jobTitle="not read",
    )
    objects, mark = _read(graph, "User", None, DictStore())
    delta = next(r for r in t.requests if "/users/delta" in r)
    selected = delta.split("%24select=")[1].split("&")[0].replace("%2C", ",").split(",")
    assert selected == [
        "id",
        "accountEnabled",
        "userPrincipalName",
        "displayName",
        "businessPhones",
        "officeLocation",
        "onPremisesExtensionAttributes",
        "extension_0123abcd_costCenter",
        "manager",
    ]
    got = _by_id(objects)[ann].attributes
    assert got == {
        "objectId": ann,
        "accountEnabled": True,
        "userPrincipalName": "ann@contoso.test",
        "displayName": "Ann",
        "telephoneNumber": "+1 555 0100",
        "physicalDeliveryOfficeName": "B12",
        "extensionAttribute3": "E3",
        "extension_0123abcd_costCenter": "CC-7",
        "manager": boss,
    }
    assert mark is not None and str(mark.cursor).split(" ")[1].startswith(
        graph_peer.base_url + "/users/delta"
    )


def test_incremental_reads_follow_the_delta_link(graph: Connector, graph_peer: GraphPeer) -> None:
    t = graph_peer.tenant
    ann, bob, cy, dee = (t.add_user(displayName=n, userPrincipalName=f"{n}@c.test") for n in "ABCD")
    team = t.add_group(displayName="Team", members=(ann, bob))
    store, gstore = DictStore(), DictStore()
    _, mark = _read(graph, "User", None, store)
    _, gmark = _read(graph, "Group", None, gstore)
    t.update_user(ann, displayName="Ann 2")
    t.soft_delete_user(bob)  # also leaves Team, as Graph does
    t.hard_delete_user(cy)
    t.update_user(dee, accountEnabled=False)
    t.add_member(team, dee)
    changed, mark2 = _read(graph, "User", mark, store)
    got = _by_id(changed)
    assert (
        got[ann].attributes["displayName"] == "Ann 2"
        and got[ann].attributes["userPrincipalName"] == "A@c.test"
    )
    assert "deletedDateTime" in got[bob].attributes and not got[bob].deleted
    assert got[cy].deleted
    assert got[dee].attributes["accountEnabled"] is False
    assert mark is not None and mark2 is not None and mark.is_before_or_at(mark2) and mark != mark2
    groups, _ = _read(graph, "Group", gmark, gstore)
    assert _by_id(groups)[team].attributes["members"] == sorted([ann, dee])
    t.restore_user(bob)
    again, mark3 = _read(graph, "User", mark2, store)
    assert [(o.id, "deletedDateTime" in o.attributes) for o in again] == [(bob, False)]
    quiet, _ = _read(graph, "User", mark3, store)
    assert quiet == []


def test_a_410_starts_a_new_round_and_finds_what_went_missing(
    graph: Connector, graph_peer: GraphPeer
) -> None:
    t = graph_peer.tenant
    keep, gone = t.add_user(displayName="Keep"), t.add_user(displayName="Gone")
    store = DictStore()
    _, mark = _read(graph, "User", None, store)
    t.hard_delete_user(gone)
    t.require_resync()  # Graph forgot every token: the next request with one answers 410 resyncRequired
    objects, mark2 = _read(graph, "User", mark, store)
    assert {(o.id, o.deleted) for o in objects} == {(keep, False), (gone, True)}
    assert mark is not None and mark2 is not None and mark.is_before_or_at(mark2)


def test_throttling_waits_retry_after_then_goes_on(graph_peer: GraphPeer) -> None:
    sleeps: list[float] = []
    connector = _connector(graph_peer, sleeps)
    graph_peer.tenant.add_user(displayName="Ann")
    graph_peer.tenant.throttle(1, 429, retry_after=7)
    graph_peer.tenant.throttle(1, 503, retry_after=2)
    objects, _ = _read(connector, "User", None, DictStore())
    assert [o.attributes["displayName"] for o in objects] == ["Ann"] and sleeps == [7.0, 2.0]
    graph_peer.tenant.throttle(1, 429, retry_after=3600)
    with pytest.raises(RetriableConnectorError) as caught:
        _read(connector, "User", None, DictStore())
    assert caught.value.retry_after == 3600 and caught.value.policy == "retriable"
    connector.close()


def test_an_expired_access_token_is_renewed_once(graph: Connector, graph_peer: GraphPeer) -> None:
    graph_peer.tenant.add_user(displayName="Ann")
    _read(graph, "User", None, DictStore())
    graph_peer.tenant.expire_tokens()
    objects, _ = _read(graph, "User", None, DictStore())
    assert len(objects) == 1
    graph_peer.tenant.refuse_tokens()
    with pytest.raises(AuthenticationFailed, match="HTTP 401") as caught:
        _read(graph, "User", None, DictStore())
    assert "Access token validation failure" in str(caught.value)


@pytest.mark.parametrize(
    ("breakage", "expected"),
    [
        ("expired", "the client secret has expired; create a new secret"),
        ("wrong", "the client secret is wrong"),
        ("tenant", "does not know this tenant or authority"),
        ("client", "the application was not found in the tenant"),
    ],
)
def test_credential_errors_are_precise_fatal_and_never_show_the_secret(
    graph_peer: GraphPeer, caplog: pytest.LogCaptureFixture, breakage: str, expected: str
) -> None:
    t = graph_peer.tenant
    settings: dict[str, Any] = {}
    if breakage == "expired":
        t.expire_secret()
    elif breakage == "wrong":
        settings["clientSecret"] = "not-the-secret-" + t.client_secret[-6:]
    elif breakage == "tenant":
        settings["authority"] = f"{graph_peer.root}/no-such-tenant"
    else:
        settings["clientId"] = "00000000-0000-0000-0000-00000000beef"
    caplog.set_level(logging.DEBUG)
    connector = _connector(graph_peer, **settings)
    with pytest.raises(AuthenticationFailed) as caught:
        connector.validate_credentials()
    assert expected in str(caught.value) and caught.value.policy == "fatal"
    secret = settings.get("clientSecret", t.client_secret)
    assert secret not in str(caught.value) and secret not in repr(connector.config)
    assert all(secret not in record.getMessage() for record in caplog.records)
    connector.close()


def test_scope_assigned_is_direct_users_and_direct_members_of_assigned_groups(graph_peer: GraphPeer) -> None:
    t = graph_peer.tenant
    direct, member, nested, outsider = (
        t.add_user(displayName=n) for n in ("Direct", "Member", "Nested", "Out")
    )
    inner = t.add_group(displayName="Inner", members=(nested,))
    outer = t.add_group(displayName="Outer", members=(member,))
    t.add_member(outer, inner)
    t.assign(direct, "User")
    t.assign(outer, "Group")
    connector = _connector(graph_peer, scope="assigned", servicePrincipalId=t.service_principal_id)
    store, gstore = DictStore(), DictStore()
    users, mark = _read(connector, "User", None, store)
    entitled = {
        o.attributes["displayName"]: o.attributes["IsEffectivelyEntitledForProvisioning"] for o in users
    }
    assert entitled == {"Direct": True, "Member": True, "Nested": False, "Out": False}
    groups, gmark = _read(connector, "Group", None, gstore)
    assert _entitled(groups) == {"Inner": False, "Outer": True}
    t.unassign(direct)
    t.add_member(outer, outsider)
    changed, mark = _read(connector, "User", mark, store)
    assert _entitled(changed) == {"Direct": False, "Out": True}
    t.unassign(outer)  # the group, and with it its members, leave the app's scope; nothing changed in Graph
    t.assign(inner, "Group")
    changed, _ = _read(connector, "User", mark, store)
    assert _entitled(changed) == {"Member": False, "Out": False, "Nested": True}
    groups, _ = _read(connector, "Group", gmark, gstore)
    assert _entitled(groups) == {"Inner": True, "Outer": False}
    connector.close()


def _entitled(objects: list[DirectoryObject]) -> dict[str, Any]:
    return {
        o.attributes["displayName"]: o.attributes["IsEffectivelyEntitledForProvisioning"] for o in objects
    }


def test_the_connector_is_read_only_and_describes_the_schema_names(graph: Connector) -> None:
    assert graph.capabilities.write is False
    definition = graph.describe()
    user = next(o for o in definition["objects"] if o["name"] == "User")
    names = {a["name"]: a for a in user["attributes"]}
    assert names["objectId"]["anchor"] and names["manager"]["type"] == "Reference"
    assert set(SCHEMA_USER) <= set(names)
    assert definition["readOnly"] is True


@pytest.mark.parametrize(
    ("settings", "setting", "words"),
    [
        ({"clientSecret": None}, "clientSecret", "never in clear"),
        ({"scope": "everyone"}, "scope", "'assigned'"),
        ({"scope": "assigned"}, "servicePrincipalId", "service principal"),
        ({"authority": "http://login.example"}, "authority", "only reached over https"),
        ({"objects": ["Device"]}, "objects", "User, Group"),
        ({"tenantid": "x"}, "tenantid", "did you mean 'tenantId'"),
    ],
)
def test_bad_settings_name_the_setting(
    graph_peer: GraphPeer, settings: dict[str, Any], setting: str, words: str
) -> None:
    merged = {k: v for k, v in {**graph_peer.settings(), **settings}.items() if v is not None}
    with pytest.raises(ConnectorConfigError) as caught:
        create_connector("graph", merged, ConnectorContext("Azure Active Directory"))
    assert caught.value.setting == setting and words in str(caught.value)


def test_a_watermark_that_is_not_a_delta_link_says_how_to_recover(graph: Connector) -> None:
    with pytest.raises(Exception, match="restart the job with the Watermark scope"):
        drain(graph.read("User", Watermark("2024-01-01T00:00:00Z")), DictStore())


def _rsa_certificate(folder: Any) -> tuple[Any, bytes, str]:
    """(PEM file with the private key and the certificate, the certificate PEM, its SHA-1 thumbprint)."""
    import datetime as dt

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "idsync-app")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    public = cert.public_bytes(serialization.Encoding.PEM)
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    path = folder / "app.pem"
    path.write_bytes(private + public)
    return path, public, cert.fingerprint(hashes.SHA1()).hex().upper()


def test_a_certificate_credential_signs_a_client_assertion(graph_peer: GraphPeer, tmp_path: Any) -> None:
    path, public, thumbprint = _rsa_certificate(tmp_path)
    graph_peer.tenant.add_user(displayName="Ann")
    settings = {k: v for k, v in graph_peer.settings().items() if k != "clientSecret"}
    settings["certificate"] = {"path": str(path), "thumbprint": thumbprint}
    context = ConnectorContext("Azure Active Directory")
    unregistered = create_connector("graph", settings, context)
    with pytest.raises(AuthenticationFailed, match="the certificate was refused"):
        unregistered.validate_credentials()
    unregistered.close()
    graph_peer.tenant.add_certificate(public)
    connector = create_connector("graph", settings, context)
    objects, _ = _read(connector, "User", None, DictStore())
    assert [o.attributes["displayName"] for o in objects] == ["Ann"]
    connector.close()


def test_who_references_an_object_is_found_through_graph(graph: Connector, graph_peer: GraphPeer) -> None:
    """The engine asks a source which objects reference one it deleted: directReports and memberOf."""
    t = graph_peer.tenant
    boss = t.add_user(displayName="Boss")
    ann, bob = t.add_user(displayName="Ann", manager=boss), t.add_user(displayName="Bob")
    team = t.add_group(displayName="Team", members=(ann, bob))
    assert [o.id for o in graph.find("User", "manager", [boss, bob])[boss]] == [ann]
    assert bob not in graph.find("User", "manager", [boss, bob])
    found = graph.find("Group", "members", [bob, "00000000-0000-0000-0000-000000000000"])
    assert list(found) == [bob] and [o.id for o in found[bob]] == [team]
    assert sorted(found[bob][0].attributes["members"]) == sorted([ann, bob])
