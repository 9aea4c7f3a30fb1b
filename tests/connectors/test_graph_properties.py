"""A property of the graph connector's delta reads: whatever happens in the tenant between reads (users
created, renamed, disabled, sent to the recycle bin and restored, deleted for good; group members added and
removed; app assignments given and taken), the state built from the incremental reads is the state a full
read gives -- attributes, members and the app's scope (``scope: assigned``)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from connectors import Connector, ConnectorContext, DirectoryObject, Watermark, create_connector
from tests.peers.graph import GraphPeer, GraphTenant

from .datastore import DictStore, drain

ENTITLED = "IsEffectivelyEntitledForProvisioning"
STEPS = st.lists(
    st.tuples(
        st.sampled_from(
            [
                "add",
                "rename",
                "disable",
                "recycle",
                "restore",
                "purge",
                "join",
                "leave",
                "assign",
                "unassign",
                "assign-group",
                "unassign-group",
            ]
        ),
        st.integers(0, 5),
    ),
    max_size=12,
)


@pytest.fixture(scope="module")
def peer(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GraphPeer]:
    server = GraphPeer(tmp_path_factory.mktemp("graph-properties")).start()
    yield server
    server.stop()


def _apply(t: GraphTenant, step: str, n: int, team: str) -> None:
    users = sorted(t.users)
    live = [u for u in users if u not in t.recycled]
    pick = live[n % len(live)] if live else None
    if step == "add":
        t.add_user(displayName=f"user{len(users)}", accountEnabled=True)
    elif pick is None:
        return
    elif step == "rename":
        t.update_user(pick, displayName=f"renamed{n}")
    elif step == "disable":
        t.update_user(pick, accountEnabled=False)
    elif step == "recycle":
        t.soft_delete_user(pick)
    elif step == "restore" and t.recycled:
        t.restore_user(sorted(t.recycled)[n % len(t.recycled)])
    elif step == "purge":
        t.hard_delete_user(pick)
    elif step == "join":
        t.add_member(team, pick)
    elif step == "leave":
        t.remove_member(team, pick)
    elif step == "assign":
        t.assign(pick, "User")
    elif step == "unassign":
        t.unassign(pick)
    elif step == "assign-group":
        t.assign(team, "Group")
    elif step == "unassign-group":
        t.unassign(team)


def _fold(state: dict[str, dict[str, Any]], objects: list[DirectoryObject]) -> None:
    for obj in objects:
        if obj.deleted:
            state.pop(obj.id, None)
        else:
            state[obj.id] = dict(obj.attributes)


def _live(state: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Without the recycle bin (a full read lists only live objects; a round reports recycled ones)."""
    return {k: v for k, v in state.items() if "deletedDateTime" not in v}


def _read(connector: Connector, object_type: str, since: Watermark | None, store: DictStore) -> Any:
    return drain(connector.read(object_type, since, store=store), store)


@settings(max_examples=25)
@given(before=STEPS, between=st.lists(STEPS, min_size=1, max_size=3))
def test_incremental_reads_end_where_a_full_read_ends(peer: GraphPeer, before: Any, between: Any) -> None:
    t = peer.tenant
    t.reset()
    team = t.add_group(displayName="Team")
    for n in range(3):
        t.add_user(displayName=f"seed{n}")
    for step, n in before:
        _apply(t, step, n, team)
    context = ConnectorContext(
        "Azure Active Directory",
        attributes={
            "User": ("objectId", "displayName", "accountEnabled"),
            "Group": ("objectId", "displayName", "members"),
        },
    )
    settings_ = peer.settings(scope="assigned", servicePrincipalId=t.service_principal_id)
    connector = create_connector("graph", settings_, context)
    try:
        stores = {"User": DictStore(), "Group": DictStore()}
        states: dict[str, dict[str, dict[str, Any]]] = {"User": {}, "Group": {}}
        marks: dict[str, Watermark | None] = {}
        for kind in ("User", "Group"):
            objects, marks[kind] = _read(connector, kind, None, stores[kind])
            _fold(states[kind], objects)
        for steps in between:
            for step, n in steps:
                _apply(t, step, n, team)
            for kind in ("User", "Group"):
                objects, marks[kind] = _read(connector, kind, marks[kind], stores[kind])
                _fold(states[kind], objects)
        for kind in ("User", "Group"):
            full: dict[str, dict[str, Any]] = {}
            _fold(full, _read(connector, kind, None, DictStore())[0])
            assert _live(states[kind]) == full, kind
        recycled = {k for k, v in states["User"].items() if "deletedDateTime" in v}
        assert recycled <= t.recycled, "only users in the recycle bin are soft-deleted; purged ones are gone"
    finally:
        connector.close()
