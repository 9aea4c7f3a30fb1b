"""Found by the SCIM crash campaign (``IDSYNC_CRASH_SEED=779``; no crash is needed): a disabled user whose
manager changed in the source while it was disabled (a disabled object's manager is not written) keeps its
old manager in the app; when that old manager is deleted, ``Driver.unreference`` looks for such referrers in
the target (``Connector.find`` by the manager attribute), and the scim connector's find by a reference
attribute finds nothing on scim2-server (``manager eq "<id>"`` against a complex ``manager``), so the user's
manager is left pointing at a deleted object.

Fixed in the scim connector: a find by a reference attribute filters on the id it holds
(``<attribute>.value eq``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from engine import SyncEngine, load_job

pytestmark = pytest.mark.peer
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"


def _user(uid: str, **more: Any) -> dict[str, Any]:
    return {"id": uid, "userPrincipalName": f"{uid}@x.test", "displayName": uid, "mailNickname": uid,
            "accountEnabled": True, **more}  # fmt: skip


def test_a_disabled_users_old_manager_deleted_leaves_no_dangling_manager(
    tmp_path: Path, scim_tenant: Any
) -> None:
    def source(*users: dict[str, Any]) -> None:
        document = {"User": list(users), "Group": []}
        (tmp_path / "source.json").write_text(json.dumps(document), encoding="utf-8")

    source(_user("x", manager="n"), _user("n"), _user("m"))
    job = {"id": "referrer", "template": "scim", "state": f"sqlite:///{tmp_path / 'state.db'}",
           "directories": {"Azure Active Directory": {"connector": "json", "path": "source.json"},
                           "SCIM App": {"connector": "scim", **scim_tenant.settings()}}}  # fmt: skip
    (tmp_path / "job.json").write_text(json.dumps(job), encoding="utf-8")
    with SyncEngine(load_job(tmp_path / "job.json")) as engine:
        assert engine.run_cycle().state == "Succeeded"
        source(_user("x", manager="m", accountEnabled=False), _user("n"), _user("m"))
        assert engine.run_cycle().state == "Succeeded"  # x disabled: its manager is not written
        source(_user("x", manager="m", accountEnabled=False), _user("m"))
        assert engine.run_cycle().state == "Succeeded"  # n deleted
    headers = {"Authorization": f"Bearer {scim_tenant.token}"}
    users = httpx.get(f"{scim_tenant.base_address}/Users", headers=headers).json()["Resources"]
    ids = {u["id"] for u in users}
    (x,) = [u for u in users if u["userName"] == "x@x.test"]
    manager = ((x.get(ENTERPRISE) or {}).get("manager") or {}).get("value")
    assert manager is None or manager in ids
