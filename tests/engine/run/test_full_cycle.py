"""``idsync run --full`` reads the target objects it links to again, as Entra's full cycle re-evaluates every
object (issue 17): a linked object deleted from the target by hand is created again, a value changed in the
target by hand is sent again with the source's value, and the dry-run of a full cycle shows exactly that.
An incremental cycle trusts what it last exported (no target read per object): it leaves both alone.

Through the CLI on json and sql (SQLite) targets, and a hypothesis property over in-memory directories: after
random edits of the target (and of the source), the full dry-run is, operation by operation, what the full
cycle logs, and the cycle ends with the target equal to the source's projection. (scim2-server over HTTP:
``tests/e2e/test_full_cycle_scim.py``.)
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from benchmarks import _target
from engine.cli import main

from .conftest import GROUP, MANAGER, USER, group, read_json, user, write_job
from .test_plan_predicts import _logged, _shape
from .test_properties import PROPERTIES, World, directories, job, projection

__all__ = ["job"]  # the module-scoped fixture of test_properties, used here too


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.output


def _by_external(target: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {item["externalId"]: item for item in target.get(kind, [])}


def _edit_json_target(path: Path) -> None:
    """By hand: user b deleted, user a renamed and locked out, b taken out of group g."""
    target = read_json(path)
    users = _by_external(target, USER)
    gone = users["b"]["id"]
    target[USER] = [u for u in target[USER] if u["externalId"] != "b"]
    for item in target[USER]:
        if item["externalId"] == "a":
            item.update(displayName="Edited by hand", active=False)
    for item in target[GROUP]:
        item["members"] = [m for m in item["members"] if m != gone]
    path.write_text(json.dumps(target), encoding="utf-8")


def test_run_full_recreates_and_corrects_a_json_target_and_the_dry_run_says_so(tmp_path: Path) -> None:
    source = {"User": [user("a", manager="b"), user("b")], "Group": [group("g", ["a", "b"])]}
    job_file = write_job(tmp_path, source)
    assert invoke("run", str(job_file))[0] == 0
    before = read_json(tmp_path / "target.json")
    _edit_json_target(tmp_path / "target.json")
    edited = read_json(tmp_path / "target.json")

    code, output = invoke("dry-run", str(job_file))
    assert code == 0 and "create 0, update 0" in output  # an incremental cycle trusts its essences
    code, output = invoke("dry-run", "--full", "--json", str(job_file))
    assert code == 0, output
    shown = {(op["action"], op["sourceId"]): op for op in json.loads(output)["operations"]}
    assert shown[("create", "b")]["reason"] == "no target object with userName = 'b@contoso.com'"
    changed = {c["name"]: (c["old"], c["new"]) for c in shown[("update", "a")]["changes"]}
    assert changed["displayName"] == ("Edited by hand", "User a") and changed["active"] == (False, True)
    assert ("update", "g") in shown  # b back in the group, under its new id
    assert read_json(tmp_path / "target.json") == edited  # the dry-run wrote nothing

    code, output = invoke("run", "--full", str(job_file))
    assert code == 0 and "Succeeded" in output, output
    after = read_json(tmp_path / "target.json")
    users = _by_external(after, USER)
    assert sorted(users) == ["a", "b"] and users["a"]["displayName"] == "User a" and users["a"]["active"]
    assert users["a"][MANAGER] == users["b"]["id"] != _by_external(before, USER)["b"]["id"]
    assert sorted(_by_external(after, GROUP)["g"]["members"]) == sorted(u["id"] for u in users.values())
    code, output = invoke("run", "--full", "--json", str(job_file))
    assert code == 0 and json.loads(output)["countExported"] == 0  # nothing left to correct


def _sql_job(folder: Path, users: list[dict[str, Any]]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / "target.db"
    _target.create_target(target)
    objects = {name: {"table": table, "anchor": "id"} for name, table in _target.TARGET_TABLES.items()}
    (folder / "source.json").write_text(json.dumps({"User": users, "Group": []}), encoding="utf-8")
    job = {
        "id": "full-sql",
        "schema": str(_target.schema_path()),
        "directories": {
            "Azure Active Directory": {"connector": "json", "path": "source.json"},
            "SQL Target": {"connector": "sql", "url": f"sqlite:///{target}", "objects": objects},
        },
        "state": f"sqlite:///{folder / 'state.db'}",
    }
    path = folder / "job.json"
    path.write_text(json.dumps(job), encoding="utf-8")
    return path


def _rows(target: Path) -> dict[str, tuple[Any, ...]]:
    connection = sqlite3.connect(target)
    try:
        rows = connection.execute("SELECT userName, displayName, active FROM target_users").fetchall()
    finally:
        connection.close()
    return {row[0]: (row[1], str(row[2]).lower() in ("1", "true")) for row in rows}


def test_run_full_recreates_and_corrects_rows_of_a_sql_target(tmp_path: Path) -> None:
    people = [
        user(uid, department="Sales", givenName=uid.upper(), surname="Doe", jobTitle="Clerk")
        for uid in ("a", "b", "c")
    ]
    job_file = _sql_job(tmp_path, people)
    assert invoke("run", str(job_file))[0] == 0
    database = tmp_path / "target.db"
    clean = _rows(database)
    assert len(clean) == 3
    connection = sqlite3.connect(database)
    with connection:  # by hand: one row deleted, one renamed and deactivated
        connection.execute("DELETE FROM target_users WHERE userName = 'b@contoso.com'")
        connection.execute(
            "UPDATE target_users SET displayName = 'Edited', active = 0 WHERE userName = 'c@contoso.com'"
        )
    connection.close()

    code, output = invoke("dry-run", "--full", "--json", str(job_file))
    assert code == 0, output
    shown = {(op["action"], op["sourceId"]) for op in json.loads(output)["operations"]}
    assert shown == {("create", "b"), ("update", "c")}
    code, output = invoke("run", "--full", str(job_file))
    assert code == 0, output
    assert _rows(database) == clean
    code, output = invoke("run", "--full", "--json", str(job_file))
    assert code == 0 and json.loads(output)["countExported"] == 0


# --- the property --------------------------------------------------------------------------------------


@st.composite
def edits(draw: st.DrawFn) -> list[str]:
    """What a person does by hand to each target object, in the order of their ids."""
    return draw(st.lists(st.sampled_from(["keep", "keep", "delete", "edit"]), min_size=10, max_size=10))


def _edit(world: World, plan: list[str], source: dict[str, list[dict[str, Any]]]) -> None:
    """Deletes and edits target objects by hand -- not those of users disabled in ``source``: a disabled
    object is no longer managed (Entra leaves it as it is, and does not create it again)."""
    disabled = {u["mailNickname"] for u in source["User"] if not u["accountEnabled"]}
    objects = [
        (kind, item)
        for kind, items in sorted(world.target.snapshot().items())
        for item in items
        if item.get("externalId") not in disabled or kind != USER
    ]
    for (kind, item), what in zip(objects, plan, strict=False):
        values = {k: v for k, v in item.items() if k != "id"}
        if what == "delete":
            world.target.remove(kind, item["id"])
        elif what == "edit" and kind == USER:
            world.target.put(kind, item["id"], values | {"displayName": "Edited", "active": False})
        elif what == "edit":
            world.target.put(kind, item["id"], values | {"members": [], "displayName": "Edited"})


@PROPERTIES
@given(first=directories(), second=directories(), by_hand=edits())
def test_the_full_dry_run_is_what_the_full_cycle_does_after_edits_of_the_target(
    job: Any, first: Any, second: Any, by_hand: list[str]
) -> None:
    world, untouched = World(job, first), World(job, first)
    for each in (world, untouched):
        each.cycle()
        each.load(second)
    _edit(world, by_hand, second)
    target, status = world.target.snapshot(), world.engine.store.status()

    plan = world.engine.plan(full=True)

    assert world.target.snapshot() == target and world.engine.store.status() == status  # nothing written
    report = world.cycle(full=True)
    assert report.state == "Succeeded", report.error
    assert _shape(plan.operations) == _shape(_logged(world, report.id))
    untouched.cycle(full=True)
    wanted = projection(second)
    assert _seen(world, wanted) == _seen(untouched, wanted)  # recreated, corrected: as if nobody edited it
    assert world.cycle(full=True).exported == 0


def _seen(world: World, wanted: dict[str, dict[str, dict[str, Any]]]) -> dict[tuple[str, str], Any]:
    """The target by object, with only the attributes the source gives a value now where it has the object: a
    value the source no longer gives stays in an object that was kept (null flows nothing, decision 3), not
    in one created again."""
    seen = {}
    for kind, table in world.canonical().items():
        for external, attributes in table.items():
            keys = wanted.get(kind, {}).get(external)
            seen[(kind, external)] = {k: v for k, v in attributes.items() if keys is None or k in keys}
    return seen
