"""The generated LDIF loads into a real slapd (schema-checked by slapadd) and reads back intact."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks import generator
from benchmarks.generator import DirectorySpec
from tests.peers import peer_missing
from tests.peers.slapd import SlapdServer, slapd_available

pytestmark = pytest.mark.peer

SPEC = DirectorySpec(users=150, groups=6, seed=8)


def test_generated_ldif_loads_into_slapd(tmp_path: Path) -> None:
    reason = slapd_available()
    if reason:
        peer_missing("slapd", reason)
    ldap = pytest.importorskip("ldap")
    text = generator.write_ldif(SPEC, tmp_path / "directory.ldif").read_text(encoding="utf-8")
    with SlapdServer(base_dn="dc=contoso,dc=example", ldif=text) as server:
        connection = ldap.initialize(server.url)
        connection.simple_bind_s(server.bind_dn, server.password)
        people = connection.search_s(
            "ou=people,dc=contoso,dc=example", ldap.SCOPE_ONELEVEL, "(objectClass=*)"
        )
        groups = connection.search_s(
            "ou=groups,dc=contoso,dc=example", ldap.SCOPE_ONELEVEL, "(objectClass=*)"
        )
        connection.unbind_s()
    assert len(people) == SPEC.users and len(groups) == SPEC.group_count
    users = {u["employeeId"]: u for u in generator.iter_users(SPEC)}
    dns = {dn for dn, _ in people}
    for _, entry in people:
        user = users[entry["uid"][0].decode()]
        assert entry["displayName"][0].decode("utf-8") == user["displayName"]  # diacritics intact
        assert all(manager.decode() in dns for manager in entry.get("manager", []))
    assert all(member.decode() in dns for _, entry in groups for member in entry["member"])
