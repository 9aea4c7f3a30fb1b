"""``run --full`` on an LDAP target (slapd), the csv-to-ldap example (issue 17): a full cycle right after the
initial one writes nothing (the entries read back diff equal to what was exported: attribute names and DNs
as LDAP gives them), and an entry deleted by hand is created again, an attribute changed by hand set back."""

from __future__ import annotations

from pathlib import Path

import ldap
import pytest

from tests.peers.slapd import LdapSubtree

from ._jobs import cycle, example_engine, ldap_client, ldap_env

pytestmark = pytest.mark.peer


def test_run_full_on_an_ldap_target(
    ldap_subtree: LdapSubtree, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sync = example_engine("csv-to-ldap", tmp_path, monkeypatch, ldap_env(ldap_subtree))
    people = f"ou=people,{ldap_subtree.dn}"
    cycle(sync)
    assert cycle(sync, full=True).exported == 0
    client = ldap_client(ldap_subtree)
    try:
        client.delete_s(f"uid=zoe.angstrom,{people}")
        client.modify_s(f"uid=bob.jones,{people}", [(ldap.MOD_REPLACE, "sn", [b"Edited"])])
        report = cycle(sync, full=True)
        assert report.exported >= 2, report.counts
        zoe = client.search_s(f"uid=zoe.angstrom,{people}", ldap.SCOPE_BASE)
        bob = client.search_s(f"uid=bob.jones,{people}", ldap.SCOPE_BASE)
    finally:
        client.unbind_s()
    assert zoe and zoe[0][1]["sn"] == ["Ångström".encode()]
    assert bob[0][1]["sn"] == [b"Jones"]
    assert cycle(sync, full=True).exported == 0
