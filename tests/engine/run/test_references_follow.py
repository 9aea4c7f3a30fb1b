"""References follow their objects (spec §D.7: an unresolved reference is left *unset*): a user whose new
manager is not provisioned does not keep the old one in the target -- which, deleted later, would leave the
user pointing at an object that no longer exists -- and gets the new one once it is provisioned."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from engine import SyncEngine, load_job

from .conftest import MANAGER, USER, read_json, user, write_job


def _target(folder: Path) -> dict[str, dict[str, Any]]:
    return {o["userName"]: o for o in read_json(folder / "target.json").get(USER, [])}


def _source(folder: Path, users: list[dict[str, Any]]) -> None:
    (folder / "source.json").write_text(json.dumps({"User": users}), encoding="utf-8")


def _dangling(folder: Path) -> list[str]:
    users = _target(folder)
    ids = {o["id"] for o in users.values()}
    return [name for name, o in users.items() if o.get(MANAGER) and o[MANAGER] not in ids]


def test_an_unresolvable_new_manager_clears_the_old_one_and_is_set_once_provisioned(tmp_path: Path) -> None:
    job = load_job(write_job(tmp_path, {"User": [user("m1"), user("u1", manager="m1")]}))
    with SyncEngine(job) as engine:
        assert engine.run_cycle().succeeded
        assert _target(tmp_path)["u1@contoso.com"][MANAGER] == _target(tmp_path)["m1@contoso.com"]["id"]

        _source(tmp_path, [user("m1"), user("u1", manager="m9")])  # m9 is not (yet) in the source
        assert engine.run_cycle().succeeded
        assert MANAGER not in _target(tmp_path)["u1@contoso.com"]  # not m1 any more: unset

        _source(tmp_path, [user("u1", manager="m9")])  # m1 leaves: deleted
        report = engine.run_cycle()
        assert report.succeeded and report.total("delete") == 1
        assert _dangling(tmp_path) == [] and MANAGER not in _target(tmp_path)["u1@contoso.com"]

        _source(tmp_path, [user("u1", manager="m9"), user("m9")])  # the new manager arrives
        assert engine.run_cycle().succeeded
        users = _target(tmp_path)
        assert users["u1@contoso.com"][MANAGER] == users["m9@contoso.com"]["id"]
        assert engine.run_cycle().exported == 0  # and then quiet


def test_a_full_cycle_after_the_manager_changes_leaves_no_stale_reference(tmp_path: Path) -> None:
    job = load_job(write_job(tmp_path, {"User": [user("m1"), user("m2"), user("u1", manager="m1")]}))
    with SyncEngine(job) as engine:
        assert engine.run_cycle().succeeded
        _source(tmp_path, [user("m2"), user("u1", manager="m3")])  # m1 deleted, m3 unknown, in one cycle
        assert engine.run_cycle(full=True).succeeded
        assert _dangling(tmp_path) == [] and MANAGER not in _target(tmp_path)["u1@contoso.com"]
