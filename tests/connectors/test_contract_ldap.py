"""The contract suite on the ldap connector, against a real slapd started by the fixtures."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

import pytest

from connectors import Connector, ConnectorContext, Scalar, create_connector
from tests.peers import free_port
from tests.peers.slapd import LdapSubtree

from .contract import ConnectorContract, ContractNames, ContractSubject

pytestmark = pytest.mark.peer

NAMES = ContractNames(
    user_type="User",
    group_type="Group",
    name="displayName",
    email="mail",
    multi="description",
    manager="manager",
    members="member",
    group_name="cn",
)


def _extra(object_type: str, token: str) -> Mapping[str, tuple[Scalar, ...]]:
    # inetOrgPerson needs cn and sn; users are named uid=<token> (the settings' rdnAttribute)
    if object_type == "User":
        return {"uid": (token,), "cn": (f"cn {token}",), "sn": (f"sn {token}",)}
    return {}


class TestLdapContract(ConnectorContract):
    @pytest.fixture
    def subject(self, ldap_subtree: LdapSubtree) -> Iterator[ContractSubject]:
        context = ConnectorContext("LDAP")
        connector = create_connector("ldap", ldap_subtree.settings(), context)

        def unreachable() -> Connector:
            settings = ldap_subtree.settings(url=f"ldap://127.0.0.1:{free_port()}", timeoutSeconds=3)
            return create_connector("ldap", settings, context)

        yield ContractSubject(
            connector, names=NAMES, extra=_extra, unreachable=unreachable, unreachable_seconds=5
        )
        connector.close()
