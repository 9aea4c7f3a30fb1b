"""SCIM scenario: ``scim_write`` — creates through the scim connector against scim2-server.

One scim2-server (the ``scim2-server`` command line, started as the test suite starts it: tests/peers/scim.py)
serves both sides, each in a tenant of its own:

* **ours**: ``ScimConnector.apply`` of batches of 100 user creates (userName, name, work email, display
  name, ``active`` as Entra's string ``"True"``), ``concurrency`` threads sharing one keep-alive client;
* **baseline**: a bare httpx loop POSTing the same JSON bodies with the same number of threads, each
  thread with its own keep-alive ``httpx.Client`` (the reference recipe, peers/scim_bench.py).

Runs alternate (baseline, ours, baseline, ours...) and the best of each is kept, so drift on a shared
machine hits both alike. Every create must answer 201 on both sides. Target: our rate >= 80% of the
baseline's, i.e. ``ratio`` (our seconds / baseline seconds) <= 1.25.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import httpx

from connectors import Change, ConnectorContext, Modification, Operation, ValueOp, create_connector

from ._harness import Measurement, Scenario

CONCURRENCY = 4
BATCH = 100


def _values(run: str, i: int) -> dict[str, str]:
    return {
        "userName": f"u{run}-{i}@example.org",
        "name.givenName": "Given",
        "name.familyName": f"Family{i}",
        'emails[type eq "work"].value': f"u{run}-{i}@example.org",
        "displayName": f"Given Family{i}",
        "active": "True",
    }


def _body(run: str, i: int) -> dict[str, Any]:
    """Exactly the JSON the connector sends for ``_values`` (checked in ``_check_same_body``)."""
    return {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": f"u{run}-{i}@example.org",
        "name": {"givenName": "Given", "familyName": f"Family{i}"},
        "emails": [{"type": "work", "value": f"u{run}-{i}@example.org"}],
        "displayName": f"Given Family{i}",
        "active": True,
    }


def _create(run: str, i: int) -> Change:
    mods = tuple(Modification(name, ValueOp.REPLACE, (value,)) for name, value in _values(run, i).items())
    return Change(Operation.CREATE, "User", modifications=mods, key=str(i))


def _ours(base: str, token: str, count: int, run: str) -> float:
    settings = {"baseAddress": base, "secretToken": token, "concurrency": CONCURRENCY}
    with create_connector("scim", settings, ConnectorContext("SCIM App")) as connector:
        connector.describe()  # discovery once, outside the timing (a daemon does it once per job)
        changes = [_create(run, i) for i in range(count)]
        started = time.perf_counter()
        for start in range(0, count, BATCH):
            results = connector.apply(changes[start : start + BATCH])
            failed = [r for r in results if not r.ok]
            if failed:
                raise RuntimeError(f"scim_write: a create failed: {failed[0].error}")
        return time.perf_counter() - started


def _baseline(base: str, token: str, count: int, run: str) -> float:
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/scim+json"}
    errors: list[int] = []

    def worker(first: int) -> None:
        with httpx.Client(base_url=base, headers=headers, timeout=30) as client:
            for i in range(first, count, CONCURRENCY):
                reply = client.post("/Users", json=_body(run, i))
                if reply.status_code != 201:
                    errors.append(reply.status_code)

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(CONCURRENCY)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    if errors:
        raise RuntimeError(f"scim_write baseline: {len(errors)} creates failed (HTTP {errors[0]})")
    return elapsed


def _check_same_body(base: str, token: str) -> None:
    """Both sides must create the same resource, or the comparison is meaningless."""
    headers = {"Authorization": f"Bearer {token}"}
    _ours(base, token, 1, "check")
    created = httpx.get(
        f"{base}/Users", headers=headers, params={"filter": 'userName eq "ucheck-0@example.org"'}
    )
    resource = created.json()["Resources"][0]
    kept = {k: v for k, v in resource.items() if k not in {"id", "meta"}}
    if kept != _body("check", 0):
        raise RuntimeError(f"scim_write: the connector sent {kept}, the baseline sends {_body('check', 0)}")


def run_scim_write(quick: bool) -> Measurement:
    try:
        from tests.peers.scim import ScimServer
    except ImportError as exc:  # the benchmark reuses the suite's fixture: run it from the repository root
        raise RuntimeError(
            "scim_write needs tests/peers/scim.py: run `python -m benchmarks` from the repo"
        ) from exc
    count, rounds = (300, 2) if quick else (2000, 3)
    ours: list[float] = []
    baseline: list[float] = []
    with ScimServer() as server:
        first = server.tenant()
        _check_same_body(first.base_address, first.token)
        # warm-up, untimed: the server's first requests (imports, pydantic model caches) are slow
        _baseline(first.base_address, first.token, 100, "wb")
        _ours(first.base_address, first.token, 100, "wo")
        for round_number in range(rounds):
            tenant = server.tenant()
            baseline.append(_baseline(tenant.base_address, tenant.token, count, f"b{round_number}"))
            tenant = server.tenant()
            ours.append(_ours(tenant.base_address, tenant.token, count, f"o{round_number}"))
    notes = (
        f"{count} creates x best of {rounds}, concurrency {CONCURRENCY}, scim2-server CLI (wsgiref); "
        f"ours {count / min(ours):.0f}/s, bare httpx {count / min(baseline):.0f}/s"
    )
    return Measurement(count, min(ours), min(baseline), notes)


SCENARIOS = [
    Scenario(
        name="scim_write",
        description="user creates through the scim connector vs a bare httpx loop, same concurrency",
        run=run_scim_write,
        target="ratio <= 1.25 (>= 80% of the bare httpx request rate)",
        tags=("connectors", "scim"),
    )
]
