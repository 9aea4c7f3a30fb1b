"""Change reads of the scim connector against scim2-server: incremental reads after random mutations end
where a full read ends (hypothesis), watermarks never go backwards, and the data-store mode used for
servers that cannot sort (a second scim2-server announcing ``sort.supported: false``)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connectors import (
    Change,
    ConnectorContext,
    DirectoryObject,
    Modification,
    Operation,
    Value,
    ValueOp,
    Watermark,
    create_connector,
)
from connectors.scim import ScimConnector
from tests.peers import peer_missing
from tests.peers.scim import ScimServer

from .datastore import DictStore

R = ValueOp.REPLACE
Mutation = tuple[str, int]  # ("create" | "update" | "delete", which)
mutations = st.lists(
    st.tuples(st.sampled_from(["create", "update", "update", "delete"]), st.integers(0, 30)), max_size=12
)


class Mirror:
    """What an engine knows of a source: the objects read so far, kept up to date from change reads."""

    def __init__(self, connector: ScimConnector) -> None:
        self.connector = connector
        self.store = DictStore()
        self.objects: dict[str, dict[str, Value]] = {}
        self.watermark: Watermark | None = None

    def read(self, incremental: bool) -> None:
        since = self.watermark if incremental else None
        for page in self.connector.read("User", since, page_size=3, store=self.store):
            assert len(page.objects) <= 3
            self.store.commit(page)
            for obj in page.objects:
                self._apply(obj)
            if page.watermark is not None:
                assert self.watermark is None or self.watermark.is_before_or_at(page.watermark)
                self.watermark = page.watermark

    def _apply(self, obj: DirectoryObject) -> None:
        if obj.deleted:
            self.objects.pop(obj.id, None)
        else:
            self.objects[obj.id] = dict(obj.attributes)


def mutate(connector: ScimConnector, ids: list[str], steps: list[Mutation], tag: str) -> None:
    for number, (kind, which) in enumerate(steps):
        if kind == "create" or not ids:
            mods = (Modification("userName", R, (f"{tag}-{number}@x",)), Modification("title", R, ("new",)))
            [result] = connector.apply([Change(Operation.CREATE, "User", modifications=mods, key="c")])
            ids.append(result.target_id or "")
            continue
        target = ids[which % len(ids)]
        if kind == "delete":
            connector.apply([Change(Operation.DELETE, "User", target, key="d")])
            ids.remove(target)
        else:
            mods = (Modification("title", R, (f"t{tag}{number}",)),)
            connector.apply([Change(Operation.UPDATE, "User", target, mods, key="u")])


def full_state(connector: ScimConnector) -> dict[str, dict[str, Value]]:
    return {o.id: dict(o.attributes) for page in connector.read("User") for o in page.objects}


def converges(connector: ScimConnector, first: list[Mutation], second: list[Mutation]) -> None:
    ids: list[str] = []
    mutate(connector, ids, [("create", 0)] * 4, "seed")
    mirror = Mirror(connector)
    mirror.read(incremental=False)
    for tag, steps in (("a", first), ("b", second)):
        mutate(connector, ids, steps, tag)
        mirror.read(incremental=True)
        assert mirror.objects == full_state(connector)
        assert set(mirror.store.data) == set(mirror.objects), "the store tracks exactly the live ids"


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(first=mutations, second=mutations)
def test_incremental_reads_end_where_a_full_read_ends(scim_server: ScimServer, first: list[Mutation],
                                                      second: list[Mutation]) -> None:  # fmt: skip
    tenant = scim_server.tenant()
    with create_connector("scim", tenant.settings(), ConnectorContext("SCIM App")) as connector:
        assert isinstance(connector, ScimConnector) and connector.native_tracking()
        converges(connector, first, second)


# -- a server that cannot sort: change detection through the data store ------------------------------------


@pytest.fixture(scope="module")
def unsorted_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ScimServer]:
    config = {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"],
        "patch": {"supported": True},
        "bulk": {"supported": False, "maxOperations": 0, "maxPayloadSize": 0},
        "filter": {"supported": True, "maxResults": 1000},
        "changePassword": {"supported": False},
        "sort": {"supported": False},
        "etag": {"supported": False},
        "authenticationSchemes": [],
    }
    path = Path(tmp_path_factory.mktemp("scim")) / "spc.json"
    path.write_text(json.dumps(config))
    try:
        server = ScimServer(extra_args=["--service-provider-config", str(path)]).start()
    except (OSError, RuntimeError) as exc:
        peer_missing("scim2-server", str(exc))
    yield server
    server.stop()


def test_a_server_without_sorting_is_read_through_the_data_store(unsorted_server: ScimServer) -> None:
    tenant = unsorted_server.tenant()
    with create_connector("scim", tenant.settings(), ConnectorContext("SCIM App")) as connector:
        assert isinstance(connector, ScimConnector) and not connector.native_tracking()
        converges(connector, [("update", 1), ("delete", 2), ("create", 0)], [("update", 0), ("delete", 0)])
        mirror = Mirror(connector)
        mirror.read(incremental=False)
        assert isinstance(mirror.watermark and mirror.watermark.cursor, int), "a generation, not a timestamp"
