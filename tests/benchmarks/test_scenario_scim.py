"""The scim_write scenario's two sides at a tiny size against the suite's scim2-server (no timing asserted):
both create the same resources, and every create succeeds."""

from __future__ import annotations

import httpx

from benchmarks import scenario_scim
from tests.peers.scim import ScimServer
from tests.peers.scim import scim_server as scim_server


def _users(base: str, token: str) -> list[dict[str, object]]:
    reply = httpx.get(f"{base}/Users", headers={"Authorization": f"Bearer {token}"}, params={"count": 100})
    return [{k: v for k, v in r.items() if k not in {"id", "meta"}} for r in reply.json()["Resources"]]


def test_connector_and_bare_loop_create_the_same_users(scim_server: ScimServer) -> None:
    ours, theirs = scim_server.tenant(), scim_server.tenant()
    scenario_scim._check_same_body(ours.base_address, ours.token)
    assert scenario_scim._ours(ours.base_address, ours.token, 9, "r") > 0
    assert scenario_scim._baseline(theirs.base_address, theirs.token, 9, "r") > 0
    created = [u for u in _users(ours.base_address, ours.token) if u["userName"] != "ucheck-0@example.org"]
    key = lambda u: str(u["userName"])  # noqa: E731
    assert sorted(created, key=key) == sorted(_users(theirs.base_address, theirs.token), key=key)
    assert len(created) == 9
