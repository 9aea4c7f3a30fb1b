"""The json and csv targets' write journal: a crash between batches (the writing process killed) leaves a
readable file and loses nothing acknowledged once reopened; a batch cut by a crash is dropped whole."""

from __future__ import annotations

import csv
import json
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from connectors import (
    Change,
    ConnectorContext,
    ConnectorError,
    Modification,
    Operation,
    ValueOp,
    create_connector,
)

SETTINGS: dict[str, dict[str, object]] = {
    "json": {"path": "dir.json"},
    "csv": {"path": "dir.csv", "anchor": "employeeId"},
}

_CHILD = textwrap.dedent(
    """
    import os, signal, sys
    from pathlib import Path
    from connectors import Change, ConnectorContext, Modification, Operation, ValueOp, create_connector

    kind, folder, settings = sys.argv[1], Path(sys.argv[2]), eval(sys.argv[3])
    target = create_connector(kind, settings, ConnectorContext("T", base_dir=folder, object_types=("User",)))
    number = 0
    for batch in range(5):
        changes = []
        for _ in range(100):
            number += 1
            values = {"employeeId": f"E{number}", "displayName": f"user {number}"}
            mods = tuple(Modification(k, ValueOp.REPLACE, (v,)) for k, v in values.items())
            changes.append(Change(Operation.CREATE, "User", modifications=mods, key=f"E{number}"))
        if batch == 3:  # an update and a delete of objects of earlier batches
            first = target.find("User", "employeeId", ["E1", "E2"])
            mods = (Modification("displayName", ValueOp.REPLACE, ("renamed",)),)
            changes.append(Change(Operation.UPDATE, "User", first["E1"][0].id, mods, key="u"))
            changes.append(Change(Operation.DELETE, "User", first["E2"][0].id, key="d"))
        results = target.apply(changes)
        assert all(r.ok for r in results)
        print("acknowledged", batch, flush=True)  # the results are back: these writes must survive
    os.kill(os.getpid(), signal.SIGKILL)  # killed before the cycle's end: nothing folded
    """
)


def _crash(kind: str, folder: Path) -> list[str]:
    child = subprocess.run(
        [sys.executable, "-c", _CHILD, kind, str(folder), repr(SETTINGS[kind])],
        capture_output=True,
        text=True,
        check=False,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert child.returncode == -signal.SIGKILL, child.stderr
    return child.stdout.splitlines()


def _names(kind: str, path: Path) -> dict[str, str]:
    """employeeId -> displayName as another tool reads the file."""
    if kind == "json":
        users = json.loads(path.read_text(encoding="utf-8"))["User"]
    else:
        users = list(csv.DictReader(path.read_text(encoding="utf-8").splitlines()))
    return {u["employeeId"]: u.get("displayName", "") for u in users}


@pytest.mark.parametrize("kind", ["json", "csv"])
def test_a_writer_killed_between_batches_loses_nothing_and_leaves_a_readable_file(
    tmp_path: Path, kind: str
) -> None:
    path = tmp_path / str(SETTINGS[kind]["path"])
    if kind == "json":
        path.write_text(json.dumps({"User": [{"id": "old", "employeeId": "E0", "displayName": "old"}]}))
    else:
        path.write_text("employeeId,displayName\nE0,old\n")
    before = path.read_bytes()
    assert _crash(kind, tmp_path) == [f"acknowledged {n}" for n in range(5)]
    assert path.read_bytes() == before  # the file as the last cycle left it: whole and readable
    assert path.with_name(path.name + ".journal").exists()

    context = ConnectorContext("T", base_dir=tmp_path, object_types=("User",))
    reopened = create_connector(kind, SETTINGS[kind], context)
    found = reopened.find("User", "employeeId", [f"E{n}" for n in range(501)])
    assert set(found) == {f"E{n}" for n in range(501)} - {"E2"}  # every acknowledged write, the delete too
    assert found["E1"][0].attributes["displayName"] == "renamed"

    reopened.end_cycle()  # the next cycle's end folds the crashed writer's journal
    assert not path.with_name(path.name + ".journal").exists()
    names = _names(kind, path)
    assert len(names) == 500 and names["E1"] == "renamed" and "E2" not in names and names["E0"] == "old"


@pytest.mark.parametrize("kind", ["json", "csv"])
def test_the_next_writer_folds_a_crashed_journal_before_appending_its_own(tmp_path: Path, kind: str) -> None:
    _crash(kind, tmp_path)
    journal = tmp_path / (str(SETTINGS[kind]["path"]) + ".journal")
    with journal.open("ab") as handle:  # a batch cut by the crash: no final newline
        handle.write(b'[["User","cut",{"employeeId":"E999"')
    context = ConnectorContext("T", base_dir=tmp_path, object_types=("User",))
    writer = create_connector(kind, SETTINGS[kind], context)
    mods = (Modification("employeeId", ValueOp.REPLACE, ("E600",)),)
    [result] = writer.apply([Change(Operation.CREATE, "User", modifications=mods)])
    assert result.ok
    assert len(journal.read_text().splitlines()) == 1  # the old journal folded; this batch's line alone
    writer.end_cycle()  # the cycle's end folds (``close`` never does: it may have lost the job's lease)
    writer.close()
    names = _names(kind, tmp_path / str(SETTINGS[kind]["path"]))
    assert len(names) == 500 and "E999" not in names and "E600" in names


def test_values_orjson_refuses_are_written_by_json(tmp_path: Path) -> None:
    writer = create_connector("json", SETTINGS["json"], ConnectorContext("T", base_dir=tmp_path))
    mods = (Modification("big", ValueOp.REPLACE, (2**70,)), Modification("name", ValueOp.REPLACE, ("Zoë",)))
    [result] = writer.apply([Change(Operation.CREATE, "User", modifications=mods)])
    writer.end_cycle()
    written = json.loads((tmp_path / "dir.json").read_text(encoding="utf-8"))
    assert written == {"User": [{"id": result.target_id, "big": 2**70, "name": "Zoë"}]}


def test_a_damaged_line_before_the_last_is_an_error_naming_the_journal(tmp_path: Path) -> None:
    (tmp_path / "dir.json.journal").write_text(
        '[["User","a",{"n":1}]]\n[["User","b",{"n":\n[["User","c",{"n":3}]]\n', encoding="utf-8"
    )
    reader = create_connector("json", SETTINGS["json"], ConnectorContext("T", base_dir=tmp_path))
    with pytest.raises(ConnectorError, match=r"dir.json.journal:2: the write journal is damaged"):
        reader.get("User", ["a"])
    (tmp_path / "dir.json.journal").write_text('[["User","a",{"n":1}]]\n[["User","b"', encoding="utf-8")
    assert list(
        create_connector("json", SETTINGS["json"], ConnectorContext("T", base_dir=tmp_path)).get(
            "User", ["a", "b"]
        )
    ) == ["a"]


@pytest.mark.parametrize("kind", ["json", "csv"])
def test_closing_a_writer_that_lost_the_job_keeps_the_new_writers_batches(tmp_path: Path, kind: str) -> None:
    """A process whose lease was taken over still closes its connectors: its close neither rewrites the file
    nor removes the journal the new holder appends to (only ``end_cycle``, under the lease, folds)."""
    context = ConnectorContext("T", base_dir=tmp_path, object_types=("User",))

    def create(writer: object, employee: str) -> None:
        mods = (Modification("employeeId", ValueOp.REPLACE, (employee,)),)
        [result] = writer.apply([Change(Operation.CREATE, "User", modifications=mods)])  # type: ignore[attr-defined]
        assert result.ok

    stale = create_connector(kind, SETTINGS[kind], context)
    create(stale, "E1")
    holder = create_connector(kind, SETTINGS[kind], context)
    create(holder, "E2")  # folds the stale writer's journal first, then appends its own batch
    stale.close()
    create(holder, "E3")
    holder.end_cycle()
    holder.close()
    assert set(_names(kind, tmp_path / str(SETTINGS[kind]["path"]))) == {"E1", "E2", "E3"}
