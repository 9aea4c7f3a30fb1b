"""Every export is journaled, not only creates: an update or a disable that reached the target but whose
result was never committed (the process killed in between) is sent again by the next cycle, even when the
source went back to the value the state last recorded -- the case that used to leave a wrong value, or an
active person locked out, for good."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from connectors import ConnectorContext, create_connector
from engine import SyncEngine, load_job
from engine.state import StateStore

from .conftest import USER, user, write_job

CRASH = str(Path(__file__).with_name("crash_after_export.py"))
REPO = Path(__file__).resolve().parents[3]


def _crash(job: Path) -> None:
    """One cycle killed (SIGKILL) at its first commit that links objects: exported, not committed."""
    result = subprocess.run(
        [sys.executable, CRASH, str(job)], capture_output=True, text=True, timeout=120, cwd=REPO, check=False
    )
    assert result.returncode == -signal.SIGKILL, result.stdout + result.stderr


def _source(folder: Path, users: list[dict[str, Any]]) -> None:
    (folder / "source.json").write_text(json.dumps({"User": users}), encoding="utf-8")


def _target(folder: Path) -> dict[str, dict[str, Any]]:
    """The target as the json connector reads it (its file plus a write journal a killed cycle left)."""
    target = create_connector("json", {"path": "target.json"}, ConnectorContext("SCIM App", base_dir=folder))
    try:
        found = target.find(USER, "userName", ["u0@contoso.com", "u1@contoso.com", "u2@contoso.com"])
        return {name: dict(objects[0].attributes) for name, objects in found.items() if objects}
    finally:
        target.close()


def _pending(job: Path) -> int:
    loaded = load_job(job)
    store = StateStore(loaded.state_url, loaded.id)
    try:
        return sum(len(store.pending_exports(key)) for key in store.count_links())
    finally:
        store.close()


def _settled(job: Path) -> None:
    with SyncEngine(load_job(job)) as engine:
        assert engine.run_cycle().succeeded
        assert engine.run_cycle().exported == 0  # and then quiet


@pytest.mark.parametrize(
    ("changed", "check"),
    [
        ({"displayName": "Renamed"}, lambda u: u["displayName"] == "User u1"),
        ({"accountEnabled": False}, lambda u: u["active"] is True),  # then enabled again: no lockout
    ],
    ids=["update", "disable"],
)
def test_an_unconfirmed_export_is_sent_again_when_the_source_reverts(
    tmp_path: Path, changed: dict[str, Any], check: Any
) -> None:
    users = [user("u0"), user("u1"), user("u2")]
    job = write_job(tmp_path, {"User": users}, settings={"deleteThreshold": None})
    _settled(job)
    _source(tmp_path, [user("u0"), user("u1", **changed), user("u2")])
    _crash(job)  # the change reached the target; the state never learned it
    assert not check(_target(tmp_path)["u1@contoso.com"]), "the crashed export did not reach the target"
    assert _pending(job) == 1
    _source(tmp_path, users)  # back to what the state last recorded
    _settled(job)
    assert check(_target(tmp_path)["u1@contoso.com"])
    assert _pending(job) == 0


def test_an_unconfirmed_export_then_a_new_value_ends_with_the_new_value(tmp_path: Path) -> None:
    job = write_job(tmp_path, {"User": [user("u1")]}, settings={"deleteThreshold": None})
    _settled(job)
    _source(tmp_path, [user("u1", displayName="Second")])
    _crash(job)
    _source(tmp_path, [user("u1", displayName="Third")])
    _settled(job)
    assert _target(tmp_path)["u1@contoso.com"]["displayName"] == "Third"


def test_a_create_killed_before_its_commit_then_renamed_leaves_one_account(tmp_path: Path) -> None:
    """The crash's copy carries the old userPrincipalName; the renamed source object reuses it."""
    job = write_job(tmp_path, {"User": [user("u0"), user("u1"), user("u2")]})
    _crash(job)  # created in the target, never linked: each create's intent is all that knows
    assert len(_target(tmp_path)) == 3
    renamed = user("u1", userPrincipalName="u1.renamed@contoso.com", mailNickname="u1r")
    _source(tmp_path, [user("u0"), renamed, user("u2")])
    _settled(job)
    target = create_connector(
        "json", {"path": "target.json"}, ConnectorContext("SCIM App", base_dir=tmp_path)
    )
    try:
        everyone = [obj.attributes for page in target.read(USER, page_size=100) for obj in page.objects]
    finally:
        target.close()
    names = sorted(str(u["userName"]) for u in everyone)
    assert names == ["u0@contoso.com", "u1.renamed@contoso.com", "u2@contoso.com"]
    assert _pending(job) == 0


def test_the_dry_run_shows_the_re_send_the_next_cycle_makes(tmp_path: Path) -> None:
    """After a crash left an update unconfirmed, the dry-run is that next cycle: it shows the re-send (an
    update of the attribute the crash may have written, back to the source's value), and the cycle logs it."""
    users = [user("u0"), user("u1"), user("u2")]
    job = write_job(tmp_path, {"User": users}, settings={"deleteThreshold": None})
    _settled(job)
    _source(tmp_path, [user("u0"), user("u1", displayName="Renamed"), user("u2")])
    _crash(job)
    _source(tmp_path, users)  # back to what the state last recorded: only the journal knows
    with SyncEngine(load_job(job)) as engine:
        plan = engine.plan()
        shown = [(op.action.value, op.source_id, tuple(c.name for c in op.changes)) for op in plan.operations]
        assert _pending(job) == 1, "the dry-run changed nothing"
        report = engine.run_cycle()
        logged = [
            (
                record["provisioningAction"],
                record["sourceIdentity"]["id"],
                tuple(p["displayName"] for p in record["modifiedProperties"]),
            )
            for record in engine.logs(cycle_id=report.id)
        ]
    assert shown == [("update", "u1", ("displayName",))]
    assert logged == [("update", "u1", ("displayName",))]
    assert _target(tmp_path)["u1@contoso.com"]["displayName"] == "User u1"


def test_a_re_enable_killed_before_its_commit_then_a_disable_leaves_it_disabled(tmp_path: Path) -> None:
    """Found by the crash campaign (seed 126325): the link still says disabled while the crashed export
    enabled the account again; the next disable must be sent, not skipped as "already disabled"."""
    users = [user("u0"), user("u1"), user("u2")]
    job = write_job(tmp_path, {"User": users}, settings={"deleteThreshold": None})
    _settled(job)
    _source(tmp_path, [user("u0"), user("u1", accountEnabled=False), user("u2")])
    _settled(job)
    assert _target(tmp_path)["u1@contoso.com"]["active"] is False
    _source(tmp_path, users)  # enabled again: exported, then killed before the commit
    _crash(job)
    assert _target(tmp_path)["u1@contoso.com"]["active"] is True
    _source(tmp_path, [user("u0"), user("u1", accountEnabled=False), user("u2")])
    _settled(job)
    assert _target(tmp_path)["u1@contoso.com"]["active"] is False, "a disabled person left active"
    assert _pending(job) == 0


def test_a_deleted_managers_reports_are_cleared_even_one_deleted_once(tmp_path: Path) -> None:
    """Found by the crash campaign (seed 501177): a source id deleted once (its copy's deletion still
    recorded) and linked again must not be left out when the objects it refers to are deleted."""
    from datetime import UTC, datetime

    from engine.run._driver import DELETED
    from engine.state import PendingExport

    users = {"User": [user("u0", manager="u1"), user("u1")]}
    job = write_job(tmp_path, users, settings={"deleteThreshold": None})
    _settled(job)
    enterprise = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager"
    assert _target(tmp_path)["u0@contoso.com"].get(enterprise), "u0's manager was provisioned"
    loaded = load_job(job)
    store = StateStore(loaded.state_url, loaded.id)
    try:  # u0's earlier incarnation was deleted and its referrers not yet cleared when the process died
        store.record_intents(DELETED, [], [PendingExport("u0", ("an-old-target-id",), datetime.now(UTC))])
    finally:
        store.close()
    _source(tmp_path, [user("u0", manager="u1")])  # u1 deleted; the source still names it
    _settled(job)
    assert "u1@contoso.com" not in _target(tmp_path)
    assert not _target(tmp_path)["u0@contoso.com"].get(enterprise), "u0's manager points at a deleted user"
