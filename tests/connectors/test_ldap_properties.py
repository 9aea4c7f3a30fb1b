"""Property: after any sequence of changes made by other LDAP clients, the ldap connector's incremental reads
(entryCSN watermarks + data-store deletions) leave a consumer exactly where a full read does."""

from __future__ import annotations

import uuid
from typing import Any

import ldap
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connectors import (
    Change,
    ConnectorContext,
    DirectoryObject,
    Modification,
    Operation,
    ValueOp,
    Watermark,
    create_connector,
)
from tests.peers.slapd import SlapdServer

from .datastore import DictStore

pytestmark = pytest.mark.peer

NAMES = [f"p{i}" for i in range(6)]
operations = st.lists(
    st.tuples(st.sampled_from(["add", "modify", "delete", "move_out", "move_in"]), st.sampled_from(NAMES)),
    min_size=1,
    max_size=8,
)


class Tree:
    """A fresh subtree: ou=people (read by the connector) and ou=elsewhere (out of its scope)."""

    def __init__(self, server: SlapdServer) -> None:
        self.dn = f"ou=prop{uuid.uuid4().hex[:10]},{server.base_dn}"
        self.client = ldap.initialize(server.url)
        self.client.simple_bind_s(server.bind_dn, server.password)
        for dn in (self.dn, f"ou=people,{self.dn}", f"ou=elsewhere,{self.dn}"):
            name = dn.split(",")[0].split("=")[1]
            self.client.add_s(dn, [("objectClass", [b"organizationalUnit"]), ("ou", [name.encode()])])
        self.where: dict[str, str] = {}  # name -> "people" | "elsewhere"
        self.version = 0

    def dn_of(self, name: str) -> str:
        return f"uid={name},ou={self.where[name]},{self.dn}"

    def apply(self, operation: str, name: str) -> None:
        self.version += 1
        here = self.where.get(name)
        if operation == "add" and here is None:
            self.where[name] = "people"
            attrs = [
                ("objectClass", [b"inetOrgPerson"]),
                ("uid", [name.encode()]),
                ("cn", [b"x"]),
                ("sn", [b"y"]),
            ]
            self.client.add_s(self.dn_of(name), attrs)
        elif operation == "modify" and here is not None:
            self.client.modify_s(
                self.dn_of(name), [(ldap.MOD_REPLACE, "title", [f"v{self.version}".encode()])]
            )
        elif operation == "delete" and here is not None:
            self.client.delete_s(self.dn_of(name))
            del self.where[name]
        elif operation in ("move_out", "move_in") and here is not None:
            target = "elsewhere" if operation == "move_out" else "people"
            if here != target:
                self.client.rename_s(self.dn_of(name), f"uid={name}", newsuperior=f"ou={target},{self.dn}")
                self.where[name] = target


def view(objects: dict[str, DirectoryObject]) -> dict[str, tuple[Any, Any]]:
    return {o.id: (o.attributes.get("uid"), o.attributes.get("title")) for o in objects.values()}


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(batches=st.lists(operations, min_size=1, max_size=3))
def test_incremental_reads_end_where_a_full_read_ends(
    slapd: SlapdServer, batches: list[list[tuple[str, str]]]
) -> None:
    tree = Tree(slapd)
    objects = {
        "User": {"baseDn": f"ou=people,{tree.dn}", "objectClass": "inetOrgPerson", "rdnAttribute": "uid"}
    }
    settings_ = {"url": slapd.url, "bindDn": slapd.bind_dn, "password": slapd.password, "baseDn": tree.dn,
                 "objects": objects}  # fmt: skip
    with create_connector("ldap", settings_, ConnectorContext("LDAP")) as conn:
        store = DictStore()
        mirror: dict[str, DirectoryObject] = {}
        mark: Watermark | None = None
        for batch in [[], *batches]:  # the first read is a full one, of an empty tree
            for operation, name in batch:
                tree.apply(operation, name)
            for page in conn.read("User", mark, page_size=2, store=store):
                for obj in page.objects:
                    if obj.deleted:
                        mirror.pop(obj.id, None)
                    else:
                        mirror[obj.id] = obj
                store.commit(page)
                if page.watermark is not None:
                    assert mark is None or mark.is_before_or_at(page.watermark)
                    mark = page.watermark
            full = {o.id: o for page in conn.read("User", None, store=DictStore()) for o in page.objects}
            assert view(mirror) == view(full)
            assert sorted(str(v[0]) for v in view(full).values()) == sorted(
                f"['{n}']" for n, where in tree.where.items() if where == "people"
            )
    tree.client.unbind_s()


# Characters LDAP string preparation (RFC 4518) maps to nothing or prohibits (format, private-use, unassigned,
# control) are left out: they test the server's matching rules, not the connector's escaping.
texts = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc", "Cf", "Co", "Cn", "Zl", "Zp")),
    min_size=1,
    max_size=24,
).filter(lambda s: s.strip() != "" and " ".join(s.split()).casefold() != "neighbour")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=texts)
def test_any_text_round_trips_through_a_dn_and_a_filter(slapd: SlapdServer, name: str) -> None:
    """Whatever the value, it names an entry (RFC 4514 escaping), reads back unchanged, and finds it
    (RFC 4515 escaping) without matching the entry next to it."""
    tree = Tree(slapd)
    objects = {
        "User": {"baseDn": f"ou=people,{tree.dn}", "objectClass": "inetOrgPerson", "rdnAttribute": "uid"}
    }
    settings_ = {"url": slapd.url, "bindDn": slapd.bind_dn, "password": slapd.password, "baseDn": tree.dn,
                 "objects": objects}  # fmt: skip
    with create_connector("ldap", settings_, ConnectorContext("LDAP")) as conn:
        changes = [_create(name), _create("neighbour")]
        results = conn.apply(changes)
        assert all(r.ok for r in results), [str(r.error) for r in results]
        anchor, neighbour = (r.target_id or "" for r in results)
        got = conn.get("User", [anchor])[anchor]
        assert got.attributes["uid"] == [name] and got.attributes["displayName"] == name
        found = conn.find("User", "displayName", [name])
        assert anchor in {o.id for o in found[name]} and neighbour not in {o.id for o in found[name]}
    tree.client.unbind_s()


def _create(name: str) -> Change:
    values = {"uid": (name,), "cn": ("c",), "sn": ("s",), "displayName": (name,)}
    mods = tuple(Modification(key, ValueOp.REPLACE, vals) for key, vals in values.items())
    return Change(Operation.CREATE, "User", modifications=mods, key=name)
