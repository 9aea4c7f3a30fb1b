"""``idsync run --full`` against scim2-server over HTTP (issue 17): a user deleted in the app by hand is
created again (and put back in its group, as its manager's report's manager), a user renamed and deactivated
in the app by hand is corrected; the full dry-run shows exactly that, and a second full cycle finds nothing
to do (the app's representation of every value diffs equal to what the engine sends)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner

from engine.cli import main
from tests.peers.scim import ScimTenant

pytestmark = pytest.mark.peer

ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


def _person(uid: str, **more: Any) -> dict[str, Any]:
    return {"id": uid, "userPrincipalName": f"{uid}@example.org", "displayName": uid.upper(),
            "mailNickname": uid, "accountEnabled": True, "givenName": uid.upper(), "surname": "Doe",
            "mail": f"{uid}@example.org", "department": "Sales", **more}  # fmt: skip


def _job(folder: Path, tenant: ScimTenant) -> Path:
    source = {
        "User": [_person("ann", manager="bo", jobTitle="Lead"), _person("bo"), _person("cy")],
        "Group": [{"id": "g", "objectId": "g", "displayName": "Team", "members": ["ann", "bo", "cy"]}],
    }
    (folder / "source.json").write_text(json.dumps(source), encoding="utf-8")
    job = {
        "id": "full-scim",
        "template": "scim",
        "directories": {
            "Azure Active Directory": {"connector": "json", "path": "source.json"},
            "SCIM App": {"connector": "scim", **tenant.settings()},
        },
        "state": f"sqlite:///{folder / 'state.db'}",
    }
    path = folder / "job.json"
    path.write_text(json.dumps(job), encoding="utf-8")
    return path


def _invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.output


def test_run_full_recreates_and_corrects_objects_edited_in_the_app(tmp_path: Path, scim_tenant: Any) -> None:
    job = _job(tmp_path, scim_tenant)
    code, output = _invoke("run", str(job))
    assert code == 0, output
    app = httpx.Client(
        base_url=scim_tenant.base_address, headers={"Authorization": f"Bearer {scim_tenant.token}"}
    )

    def users() -> dict[str, dict[str, Any]]:
        return {u["userName"]: u for u in app.get("/Users").json()["Resources"]}

    before = users()
    code, output = _invoke("run", "--full", "--json", str(job))
    assert code == 0 and json.loads(output)["countExported"] == 0, output  # nothing differs yet
    assert app.delete(f"/Users/{before['bo@example.org']['id']}").status_code == 204
    edits = [{"op": "replace", "path": "displayName", "value": "Edited"},
             {"op": "replace", "path": "active", "value": False}]  # fmt: skip
    cy = before["cy@example.org"]["id"]
    assert app.patch(f"/Users/{cy}", json={"schemas": [PATCH], "Operations": edits}).status_code in (200, 204)

    code, output = _invoke("dry-run", "--full", "--json", str(job))
    assert code == 0, output
    shown = {(op["action"], op["sourceId"]): op for op in json.loads(output)["operations"]}
    assert shown[("create", "bo")]["reason"] == "no target object with userName = 'bo@example.org'"
    changed = {c["name"]: (c["old"], c["new"]) for c in shown[("update", "cy")]["changes"]}
    assert changed == {"displayName": ("Edited", "CY"), "active": (False, True)}
    code, output = _invoke("run", "--full", str(job))
    assert code == 0 and "Succeeded" in output, output

    after = users()
    assert sorted(after) == sorted(before)
    assert after["cy@example.org"]["displayName"] == "CY" and after["cy@example.org"]["active"] is True
    new_bo = after["bo@example.org"]["id"]
    assert new_bo != before["bo@example.org"]["id"]
    assert after["ann@example.org"][ENTERPRISE]["manager"]["value"] == new_bo
    team = app.get("/Groups").json()["Resources"][0]
    assert sorted(m["value"] for m in team["members"]) == sorted(u["id"] for u in after.values())
    code, output = _invoke("run", "--full", "--json", str(job))
    assert code == 0 and json.loads(output)["countExported"] == 0, output
