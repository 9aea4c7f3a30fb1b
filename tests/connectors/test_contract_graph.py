"""The shared contract suite on the graph connector, against the Graph peer over real HTTPS.

Entra ID is a read-only source here, so the suite's writes (creating, changing and deleting the users and
groups it then reads) go to the peer's own admin surface, as a tenant administrator's would: ``PeerWriter``
plays that part and hands every read (``read``, ``get``, ``find``, ``describe``, ``count``) to the real
connector. What the contract checks of the graph connector is therefore its reading: delta rounds, watermarks,
tombstones, references, paging, special characters in ``$filter``, fast failure.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import pytest

from connectors import (
    ApplyResult,
    Capabilities,
    Change,
    Connector,
    ConnectorContext,
    DataStore,
    DirectoryObject,
    ObjectRejected,
    Operation,
    Page,
    ValueOp,
    Watermark,
    create_connector,
)
from tests.peers import free_port
from tests.peers.graph import GraphPeer
from tests.peers.graph import graph_peer as graph_peer

from .contract import ConnectorContract, ContractNames, ContractSubject

NAMES = ContractNames(
    user_type="User",
    group_type="Group",
    name="displayName",
    email="mail",
    multi="otherMails",
    manager="manager",
    members="members",
    group_name="displayName",
)
_ = graph_peer


class PeerWriter(Connector):
    """The graph connector for reads; the peer's admin surface for the suite's writes."""

    kind = "graph-peer-writer"

    def __init__(self, inner: Connector, peer: GraphPeer) -> None:
        super().__init__({}, inner.context)
        self.inner, self.tenant = inner, peer.tenant

    @property
    def capabilities(self) -> Capabilities:
        return Capabilities(batch_size=self.inner.capabilities.batch_size)

    def describe(self) -> dict[str, Any]:
        return self.inner.describe()

    def validate_credentials(self) -> None:
        self.inner.validate_credentials()

    def read(
        self,
        object_type: str,
        since: Watermark | None = None,
        *,
        page_size: int = 1000,
        store: DataStore | None = None,
    ) -> Iterator[Page]:
        return self.inner.read(object_type, since, page_size=page_size, store=store)

    def count(self, object_type: str) -> int | None:
        return self.inner.count(object_type)

    def get(self, object_type: str, ids: Sequence[str]) -> dict[str, DirectoryObject]:
        return self.inner.get(object_type, ids)

    def find(
        self, object_type: str, attribute: str, values: Sequence[str]
    ) -> dict[str, list[DirectoryObject]]:
        return self.inner.find(object_type, attribute, values)

    def apply(self, changes: Sequence[Change]) -> list[ApplyResult]:
        return [self._one(change) for change in changes]

    def _one(self, change: Change) -> ApplyResult:
        t = self.tenant
        store = t.users if change.object_type == "User" else t.groups
        if change.operation is Operation.CREATE:
            values = {m.name: _scalar(m.name, m.values) for m in change.modifications if m.name != "members"}
            members = next((m.values for m in change.modifications if m.name == "members"), ())
            if change.object_type == "User":
                return ApplyResult(change.key, t.add_user(**values))
            return ApplyResult(change.key, t.add_group(tuple(map(str, members)), **values))
        if change.target_id not in store:
            return ApplyResult(change.key, change.target_id, ObjectRejected("no such object"))
        target = str(change.target_id)
        if change.operation is Operation.DELETE:
            (t.hard_delete_user if change.object_type == "User" else t.delete_group)(target)
            return ApplyResult(change.key, target)
        for m in change.modifications:
            if m.name == "members":
                for member in m.values:
                    (t.add_member if m.op is ValueOp.ADD else t.remove_member)(target, str(member))
            elif m.op is ValueOp.ADD:
                t.update_user(target, **{m.name: [*store[target].get(m.name, []), *m.values]})
            else:
                t.update_user(target, **{m.name: _scalar(m.name, m.values)})
        return ApplyResult(change.key, target)

    def close(self) -> None:
        self.inner.close()


def _scalar(name: str, values: tuple[Any, ...]) -> Any:
    if name in ("otherMails", "proxyAddresses"):
        return list(values)
    return values[0] if values else None


def _unreachable() -> Connector:
    settings = {
        "tenantId": "t",
        "clientId": "c",
        "clientSecret": "s",
        "validateAuthority": False,
        "authority": f"https://127.0.0.1:{free_port()}/t",
        "baseUrl": f"https://127.0.0.1:{free_port()}/v1.0",
        "timeoutSeconds": 3,
    }
    return create_connector("graph", settings, ConnectorContext("Azure Active Directory"))


class TestGraphContract(ConnectorContract):
    @pytest.fixture
    def subject(self, graph_peer: GraphPeer) -> Iterator[ContractSubject]:
        settings = graph_peer.settings(attributes={"User": ["otherMails"]})
        connector = create_connector("graph", settings, ConnectorContext("Azure Active Directory"))
        yield ContractSubject(PeerWriter(connector, graph_peer), names=NAMES, unreachable=_unreachable)
        connector.close()
