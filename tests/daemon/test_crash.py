"""kill -9 at random moments: after a restart the next cycle completes with no object lost and none
duplicated, against the json target and a real scim2-server over HTTP.

Each round starts ``idsync serve`` on a job with small batches (so a cycle spans many commits), lets it run
for a random moment, kills it with SIGKILL, and changes the source (renames, deletions, additions) before
the next round. At the end a daemon runs undisturbed until a cycle that began after its start succeeds; the
target must then hold exactly one object per source user, with the source's current values.
The random seed is printed so a failure can be replayed (``IDSYNC_CRASH_SEED``).
"""

from __future__ import annotations

import json
import os
import random
import signal
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from connectors import ConnectorContext, create_connector
from tests.peers.scim import ScimTenant

from .serve_helpers import Served, serve_env

BASE = "/servicePrincipals/local/synchronization"
USER_TYPE = "urn:ietf:params:scim:schemas:core:2.0:User"
ROUNDS = 3


def _user(n: int, label: str = "") -> dict[str, Any]:
    return {
        "id": f"u{n}",
        "userPrincipalName": f"user{n}@contoso.test",
        "displayName": f"User {n}{label}",
        "mailNickname": f"user{n}",
        "accountEnabled": True,
    }


def _write_job(folder: Path, target: dict[str, Any]) -> None:
    folder.joinpath("crash.yaml").write_text(
        json.dumps(
            {
                "id": "crash",
                "template": "scim",
                "schedule": "PT1S",
                "settings": {"batchSize": 5, "pageSize": 20},
                "directories": {
                    "Azure Active Directory": {"connector": "json", "path": "source.json"},
                    "SCIM App": target,
                },
            }
        )
    )


def _mutate(
    users: dict[int, dict[str, Any]],
    rng: random.Random,
    next_id: int,
    round_no: int,
    deleted: set[str],
    doomed: list[int] | None = None,
) -> int:
    for n in rng.sample(sorted(users), k=min(10, len(users))):
        users[n] = _user(n, f" r{round_no}")
    for n in doomed or rng.sample(sorted(users), k=3):
        deleted.add(users.pop(n)["userPrincipalName"])
    for _ in range(5):
        users[next_id] = _user(next_id)
        next_id += 1
    return next_id


def _last_written(present: list[dict[str, Any]], users: dict[int, dict[str, Any]]) -> list[int]:
    numbers = {int(o["userName"].removeprefix("user").split("@")[0]) for o in present}
    return sorted(numbers & set(users))[-3:]


def _began_after(job: dict[str, Any], moment: datetime) -> bool:
    last = job["status"].get("lastSuccessfulExecution") or {}
    began = last.get("timeBegan")
    return bool(began) and datetime.fromisoformat(began.replace("Z", "+00:00")) > moment


def _run_until_clean_cycle(folder: Path) -> None:
    served = Served([str(folder / "crash.yaml")], serve_env(), folder)
    try:
        served.wait_ready()
        started = datetime.now().astimezone()

        def settled() -> bool:
            job = served.client.get(f"{BASE}/jobs/crash").json()
            return _began_after(job, started) and job["status"]["lastExecution"]["state"] == "Succeeded"

        served.wait_for(settled, timeout=120, what="a successful cycle after the crashes")
    finally:
        assert served.stop(signal.SIGTERM) == 0, served.output()


def _crash_rounds(
    folder: Path,
    users: dict[int, dict[str, Any]],
    rng: random.Random,
    target_users: Callable[[], list[dict[str, Any]]],
    first_writes: Callable[[], bool] | None = None,
) -> set[str]:
    """``first_writes``: whether the running daemon has written anything yet (default: the target holds
    objects); ``target_users`` is read only while no daemon runs."""
    started = first_writes or (lambda: len(target_users()) > 0)
    deleted: set[str] = set()
    next_id = len(users) + 1
    for round_no in range(ROUNDS):
        folder.joinpath("source.json").write_text(json.dumps({"User": list(users.values()), "Group": []}))
        served = Served([str(folder / "crash.yaml")], serve_env(), folder)
        try:
            served.wait_ready()
            if round_no == 0:
                # The first kill lands inside the initial cycle for sure: some objects written, not all.
                served.wait_for(started, timeout=60, poll=0.02, what="the first writes")
            else:
                time.sleep(rng.uniform(0.05, 1.5))
        finally:
            served.kill()  # SIGKILL: no batch is finished, nothing is flushed
        present = target_users()
        written = len(present)
        print(f"round {round_no}: killed; target holds {written} objects, source {len(users)}")
        if round_no == 0:
            assert 0 < written < len(users), "the first kill should have interrupted the initial cycle"
        # After the first kill, delete the users written last: the ones whose page commit the kill most
        # likely prevented (created in the target, never linked), so the orphan window is exercised.
        doomed = _last_written(present, users) if round_no == 0 else None
        next_id = _mutate(users, rng, next_id, round_no, deleted, doomed)
    folder.joinpath("source.json").write_text(json.dumps({"User": list(users.values()), "Group": []}))
    return deleted


def _check(objects: list[dict[str, Any]], users: dict[int, dict[str, Any]], deleted: set[str]) -> None:
    """No source user lost (each present, active, with its current values), none duplicated, no orphan.

    A user created in the target by a batch whose state commit a SIGKILL prevented, and deleted from the
    source before the next cycle, is found through the create journal (engine.plan._intents) and removed:
    no active target object may be anything but a current source user.
    """
    names = [o["userName"] for o in objects]
    assert len(names) == len(set(names)), f"duplicated: {sorted(n for n in names if names.count(n) > 1)}"
    expected = {u["userPrincipalName"]: u["displayName"] for u in users.values()}
    active = {o["userName"]: o.get("displayName") for o in objects if o.get("active", True) is not False}
    assert {name: active.get(name) for name in expected} == expected
    orphans = set(active) - set(expected)
    assert not orphans, (
        f"orphans: deleted source users still active in the target {sorted(orphans & deleted)}, "
        f"never source users {sorted(orphans - deleted)}"
    )


def _json_users(folder: Path) -> list[dict[str, Any]]:
    """The target as the json connector reads it: the file plus the batches its write journal holds (the
    file itself is rewritten at the end of a cycle, so a killed cycle's writes are in the journal only)."""
    context = ConnectorContext(directory_name="SCIM App", base_dir=folder, object_types=(USER_TYPE,))
    connector = create_connector("json", {"path": "target.json", "missingIs": "empty"}, context)
    try:
        return [
            {"id": o.id, **o.attributes}
            for page in connector.read(USER_TYPE)
            for o in page.objects
            if not o.deleted
        ]
    finally:
        connector.close()


def _json_journal_started(folder: Path) -> bool:
    journal = folder / "target.json.journal"
    return (folder / "target.json").exists() or (journal.exists() and journal.stat().st_size > 0)


def _scim_users(tenant: ScimTenant) -> list[dict[str, Any]]:
    found = httpx.get(
        f"{tenant.base_address}/Users",
        params={"count": 1000},
        headers={"Authorization": f"Bearer {tenant.token}"},
        timeout=30,
    ).json()
    return list(found.get("Resources", []))


def _seeded() -> random.Random:
    seed = int(os.environ.get("IDSYNC_CRASH_SEED", random.randrange(1 << 30)))
    print(f"IDSYNC_CRASH_SEED={seed}")
    return random.Random(seed)


def test_kill_9_with_the_json_target(tmp_path: Path) -> None:
    rng = _seeded()
    # More users than over HTTP: a local file target is fast enough to finish 200 before the first kill.
    users = {n: _user(n) for n in range(1, 1001)}
    _write_job(tmp_path, {"connector": "json", "path": "target.json"})
    deleted = _crash_rounds(
        tmp_path, users, rng, lambda: _json_users(tmp_path), lambda: _json_journal_started(tmp_path)
    )
    _run_until_clean_cycle(tmp_path)
    target = json.loads(tmp_path.joinpath("target.json").read_text())
    _check(target.get(USER_TYPE, []), users, deleted)


def test_kill_9_with_a_scim_target(tmp_path: Path, scim_tenant: ScimTenant) -> None:
    rng = _seeded()
    users = {n: _user(n) for n in range(1, 201)}
    _write_job(
        tmp_path,
        {"connector": "scim", "baseAddress": scim_tenant.base_address, "secretToken": scim_tenant.token},
    )
    deleted = _crash_rounds(tmp_path, users, rng, lambda: _scim_users(scim_tenant))
    _run_until_clean_cycle(tmp_path)
    found = httpx.get(
        f"{scim_tenant.base_address}/Users",
        params={"count": 1000},
        headers={"Authorization": f"Bearer {scim_tenant.token}"},
        timeout=30,
    ).json()
    assert found["totalResults"] == len(found["Resources"])
    _check(found["Resources"], users, deleted)


@pytest.fixture(autouse=True)
def _no_token_leak(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("IDSYNC_API_TOKEN", raising=False)
