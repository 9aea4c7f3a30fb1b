"""An unreachable source fails the cycle, whatever the mode: ``idsync run --full`` against an LDAP server that
went away after a good cycle exits 1 with the connector's message (it never reports Succeeded)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from engine.cli import main
from tests.peers.slapd import SlapdServer, _ldapadd, slapd_available

pytestmark = pytest.mark.peer


def test_run_full_fails_when_the_ldap_source_is_down(tmp_path: Path) -> None:
    reason = slapd_available()
    if reason:
        pytest.skip(reason)
    with SlapdServer() as server:  # its own server: this test stops it
        dn = f"ou=down,{server.base_dn}"
        _ldapadd(
            server,
            f"dn: {dn}\nobjectClass: organizationalUnit\nou: down\n\n"
            f"dn: ou=people,{dn}\nobjectClass: organizationalUnit\nou: people\n\n"
            f"dn: ou=groups,{dn}\nobjectClass: organizationalUnit\nou: groups\n\n"
            f"dn: uid=a,ou=people,{dn}\nobjectClass: inetOrgPerson\nuid: a\ncn: A\nsn: A\nmail: a@x.org\n\n",
        )
        objects = {
            "inetOrgPerson": {"baseDn": f"ou=people,{dn}", "objectClass": "inetOrgPerson"},
            "groupOfNames": {"baseDn": f"ou=groups,{dn}", "objectClass": "groupOfNames"},
        }
        ldap = {"connector": "ldap", "url": server.url, "bindDn": server.bind_dn, "password": server.password}
        ldap.update(baseDn=dn, timeoutSeconds=2, objects=objects)
        job = tmp_path / "job.yaml"
        job.write_text(
            yaml.safe_dump(
                {
                    "id": "down",
                    "template": "ldap-to-scim",
                    "directories": {
                        "LDAP Directory": ldap,
                        "SCIM App": {"connector": "json", "path": "target.json"},
                    },
                }
            )
        )
        first = CliRunner().invoke(main, ["run", str(job)])
        assert first.exit_code == 0 and "Succeeded" in first.output, first.output
        server.stop()
        for args in (["run", "--full", str(job)], ["run", str(job)]):
            down = CliRunner().invoke(main, args)
            assert down.exit_code == 1 and "Failed" in down.output, (args, down.output)
            assert "cannot reach the LDAP server" in down.output and "Succeeded" not in down.output
