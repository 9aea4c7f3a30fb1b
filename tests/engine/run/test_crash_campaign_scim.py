"""The crash campaign on a SCIM target with groups (issue 14): cycles of the ``scim`` template, json source ->
scim2-server over HTTP, killed with SIGKILL at random state commits (after their exports, before their record)
while the source changes between cycles -- the user changes of the sql campaign (``test_crash_campaign``:
updates, reverts, renames of the matching attribute, disables and re-enables, manager changes, deletes, new
users) and group changes (members added and removed, renames of the matching ``displayName``, groups deleted
and new ones). Then cycles until quiet, and both apps compared object by object with a never-killed run over
the final source: no account or group lost or duplicated, no wrong value, no manager or member pointing at
an object that does not exist.

A deterministic handful of kills in the default run; ``-m slow`` runs cycles until at least 50 were killed
(``IDSYNC_CRASH_SEED`` replays).
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from benchmarks.generator import DirectorySpec, iter_users
from tests.peers.scim import ScimServer, ScimTenant, scim_server

from .test_crash_campaign import HELPER, IDSYNC, REPO, _mutate

__all__ = ["scim_server"]  # the session fixture, for this module

pytestmark = pytest.mark.peer
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
COMPARED = ("displayName", "title")


def _job(folder: Path, tenant: ScimTenant) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    job = {
        "id": "campaign-scim",
        "template": "scim",
        "directories": {
            "Azure Active Directory": {"connector": "json", "path": "source.json"},
            "SCIM App": {"connector": "scim", **tenant.settings()},
        },
        "settings": {"deleteThreshold": None, "pageSize": 15, "batchSize": 6},
        "state": f"sqlite:///{folder / 'state.db'}",
    }
    path = folder / "job.json"
    path.write_text(json.dumps(job), encoding="utf-8")
    return path


def _write(folder: Path, users: dict[str, dict[str, Any]], groups: dict[str, dict[str, Any]]) -> None:
    source = {"User": list(users.values()), "Group": list(groups.values())}
    (folder / "source.json").write_text(json.dumps(source), encoding="utf-8")


def _group(number: int, members: list[str]) -> dict[str, Any]:
    gid = f"grp-{number}"
    return {"id": gid, "objectId": gid, "displayName": f"Team {number}", "members": members}


def _mutate_groups(
    groups: dict[str, dict[str, Any]], users: dict[str, dict[str, Any]], rng: random.Random
) -> None:
    people = sorted(users)
    for gid in rng.sample(sorted(groups), min(3, len(groups))):
        members = groups[gid]["members"]
        if members and rng.random() < 0.5:
            members.remove(rng.choice(members))
        members.extend(m for m in rng.sample(people, 2) if m not in members)
    for gid in rng.sample(sorted(groups), min(1, len(groups))):  # the matching attribute renamed
        groups[gid]["displayName"] = f"{groups[gid]['displayName'].split(' #')[0]} #{rng.randrange(1000)}"
    if groups and rng.random() < 0.4:
        del groups[rng.choice(sorted(groups))]
    if rng.random() < 0.5:
        number = rng.randrange(100, 10**6)
        groups[f"grp-{number}"] = _group(number, rng.sample(people, 3))
    if rng.random() < 0.3 and groups:  # a group in a group
        outer, inner = rng.sample(sorted(groups), 2) if len(groups) > 1 else (None, None)
        if outer and inner and inner not in groups[outer]["members"]:
            groups[outer]["members"].append(inner)


def _unique_newcomers(users: dict[str, dict[str, Any]]) -> None:
    """New users of ``_mutate`` get a unique mailNickname (the app's externalId), as in a directory."""
    for uid, item in users.items():
        if item["userPrincipalName"].startswith("new"):
            item["mailNickname"] = item["userPrincipalName"].split("@")[0]
            item["id"] = uid


def _resources(tenant: ScimTenant, kind: str) -> list[dict[str, Any]]:
    headers = {"Authorization": f"Bearer {tenant.token}"}
    with httpx.Client(base_url=tenant.base_address, headers=headers, timeout=30) as client:
        found: list[dict[str, Any]] = []
        while True:
            page = client.get(f"/{kind}", params={"startIndex": len(found) + 1, "count": 200}).json()
            found += page.get("Resources", [])
            if not page.get("Resources") or len(found) >= page.get("totalResults", 0):
                return found


def _app(tenant: ScimTenant, run: str) -> tuple[dict[str, tuple[Any, ...]], dict[str, tuple[Any, ...]]]:
    """Active users (userName -> compared values and the manager's userName) and groups (externalId ->
    displayName and the active members' userNames / member groups' externalIds); duplicates and dangling
    references fail (``run`` names the run in the message: killed or reference)."""
    users, groups = _resources(tenant, "Users"), _resources(tenant, "Groups")
    names = {u["id"]: u["userName"] for u in users}
    externals = [u.get("externalId") for u in users]
    assert len(externals) == len(set(externals)), f"{run}: duplicated accounts"
    group_ids = {g["id"]: g.get("externalId") for g in groups}
    assert len(group_ids) == len(set(group_ids.values())), f"{run}: duplicated groups"
    active = {u["id"] for u in users if u.get("active") is True}
    shown_users = {}
    for item in users:
        manager = ((item.get(ENTERPRISE) or {}).get("manager") or {}).get("value")
        assert manager is None or manager in names, f"{run}: {item['userName']}'s manager does not exist"
        if item["id"] in active:
            values = tuple(item.get(name) for name in COMPARED)
            shown_users[item["userName"]] = (*values, names.get(manager) if manager in active else None)
    shown_groups = {}
    for item in groups:
        members = [m["value"] for m in item.get("members") or []]
        dangling = [m for m in members if m not in names and m not in group_ids]
        name = item.get("displayName")
        assert dangling == [], f"{run}: group {name} has members that do not exist: {dangling}"
        kept = sorted(names[m] for m in members if m in active) + sorted(
            str(group_ids[m]) for m in members if m in group_ids
        )
        shown_groups[str(item.get("externalId"))] = (item.get("displayName"), kept)
    return shown_users, shown_groups


def _run(job: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([IDSYNC, "run", str(job)], capture_output=True, text=True, timeout=300, check=False)


def _until_quiet(job: Path) -> None:
    for _ in range(6):
        done = _run(job)
        assert done.returncode == 0, done.stdout + done.stderr
        if "exported 0" in done.stdout and "escrowed 0" in done.stdout:
            return
    raise AssertionError(f"the cycles never became quiet:\n{done.stdout}{done.stderr}")


def _kill_at(job: Path, commit: int) -> bool:
    """One cycle, SIGKILLed at its ``commit``-th state commit; True when it was killed (else it ended)."""
    result = subprocess.run(
        [sys.executable, HELPER, str(job), str(commit)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=REPO,
        check=False,
    )
    assert result.returncode in (0, -signal.SIGKILL), result.stdout + result.stderr
    return result.returncode == -signal.SIGKILL


def _campaign(tmp_path: Path, server: ScimServer, seed: int, *, rounds: int, kills: int) -> None:
    """``rounds`` cycles at least, and more until ``kills`` of them were killed (at most 3 x ``rounds``)."""
    rng = random.Random(seed)
    print(f"IDSYNC_CRASH_SEED={seed}")
    users = {u["id"]: dict(u) for u in iter_users(DirectorySpec(users=40, groups=0, seed=seed % 97 + 1))}
    people = sorted(users)
    groups = {g["id"]: g for g in (_group(n, rng.sample(people, 5)) for n in range(6))}
    history: list[dict[str, dict[str, Any]]] = []
    killed_tenant, clean_tenant = server.tenant(), server.tenant()
    job = _job(tmp_path / "killed", killed_tenant)
    done = number = 0
    while number < rounds or (done < kills and number < 3 * rounds):
        history.append(json.loads(json.dumps(users)))
        if number:
            _mutate(users, history, rng)
            _unique_newcomers(users)
            _mutate_groups(groups, users, rng)
        _write(tmp_path / "killed", users, groups)
        done += _kill_at(job, rng.randint(1, 8))
        number += 1
    assert done >= kills, f"only {done} of {number} cycles were killed"
    _until_quiet(job)
    reference = _job(tmp_path / "reference", clean_tenant)
    _write(tmp_path / "reference", users, groups)
    _until_quiet(reference)
    killed_users, killed_groups = _app(killed_tenant, "killed")
    clean_users, clean_groups = _app(clean_tenant, "reference")
    assert sorted(killed_users) == sorted(clean_users), "lost or extra accounts"
    wrong = {
        name: (killed_users[name], clean_users[name])
        for name in clean_users
        if killed_users[name] != clean_users[name]
    }
    assert wrong == {}, f"wrong values after {done} kills (seed {seed})"
    assert killed_groups == clean_groups, f"wrong groups after {done} kills (seed {seed})"


def test_crash_campaign_on_a_scim_app_with_groups(tmp_path: Path, scim_server: ScimServer) -> None:
    _campaign(tmp_path, scim_server, 5, rounds=5, kills=3)


@pytest.mark.slow
def test_crash_campaign_on_a_scim_app_many_kills(
    tmp_path: Path, scim_server: ScimServer, request: pytest.FixtureRequest
) -> None:
    if not request.config.getoption("markexpr"):
        pytest.skip("slow: select with -m slow")
    seed = int(os.environ.get("IDSYNC_CRASH_SEED") or random.randrange(10**6))
    _campaign(tmp_path, scim_server, seed, rounds=50, kills=50)
