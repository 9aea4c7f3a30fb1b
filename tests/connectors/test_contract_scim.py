"""The shared contract suite on the scim connector: real HTTP against scim2-server, a fresh tenant each."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

import pytest

from connectors import Connector, ConnectorContext, Scalar, create_connector
from tests.peers import free_port
from tests.peers.scim import ScimTenant

from .contract import ConnectorContract, ContractNames, ContractSubject

ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
NAMES = ContractNames(
    user_type="User",
    group_type="Group",
    name="displayName",
    email='emails[type eq "work"].value',
    multi="roles",
    manager=f"{ENTERPRISE}:manager",
    members="members",
    group_name="displayName",
)


def _required(object_type: str, token: str) -> Mapping[str, tuple[Scalar, ...]]:
    # userName is the one attribute SCIM requires of a user (RFC 7643 §4.1.1).
    return {"userName": (f"{token}@users.example.org",)} if object_type == "User" else {}


def _unreachable() -> Connector:
    settings = {"baseAddress": f"http://127.0.0.1:{free_port()}/v2", "secretToken": "t", "timeoutSeconds": 3}
    return create_connector("scim", settings, ConnectorContext("SCIM App"))


class TestScimContract(ConnectorContract):
    @pytest.fixture
    def subject(self, scim_tenant: ScimTenant) -> Iterator[ContractSubject]:
        connector = create_connector("scim", scim_tenant.settings(), ConnectorContext("SCIM App"))
        yield ContractSubject(connector, names=NAMES, extra=_required, unreachable=_unreachable)
        connector.close()
