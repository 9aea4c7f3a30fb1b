"""No deletion from a bad read: after a good first cycle, a source broken in each of the ways a real feed
breaks (missing, empty, truncated, binary, a malformed row, an oversized field, another delimiter, a dropped
table) deletes and disables nobody, on an incremental cycle nor on a full one; a genuinely empty valid source
is held by the deletion guard at its threshold."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from engine import SyncEngine, dump_schema, get_template, load_job

from .conftest import USER, read_json, user, write_job

USERS = 20


def _users() -> list[dict[str, Any]]:
    return [user(f"u{i:03d}", department="Sales") for i in range(USERS)]


def _removals(engine: SyncEngine, full: bool) -> tuple[int, Any]:
    report = engine.run_cycle(full=full)
    return report.total("delete") + report.total("disable"), report


def _active_targets(folder: Path) -> int:
    return sum(1 for u in read_json(folder / "target.json").get(USER, []) if u.get("active", True))


# --- json -----------------------------------------------------------------------------------------------

JSON_BREAKS: dict[str, Callable[[Path], None]] = {
    "missing": lambda path: path.unlink(),
    "empty file": lambda path: path.write_bytes(b""),
    "truncated": lambda path: path.write_bytes(path.read_bytes()[: len(path.read_bytes()) // 2]),
    "binary": lambda path: path.write_bytes(bytes(range(256)) * 8),
    "wrong shape": lambda path: path.write_text('{"User": {"id": "u000"}}', encoding="utf-8"),
}


@pytest.mark.parametrize("full", [False, True], ids=["incremental", "full"])
@pytest.mark.parametrize("break_it", list(JSON_BREAKS.values()), ids=list(JSON_BREAKS))
def test_a_broken_json_source_deletes_nobody(
    tmp_path: Path, break_it: Callable[[Path], None], full: bool
) -> None:
    job = load_job(write_job(tmp_path, {"User": _users()}, settings={"deleteThreshold": None}))
    with SyncEngine(job) as engine:
        assert engine.run_cycle().succeeded and _active_targets(tmp_path) == USERS
        break_it(tmp_path / "source.json")
        removed, report = _removals(engine, full)
        assert removed == 0 and not report.succeeded, report.to_json()
        assert _active_targets(tmp_path) == USERS


def test_a_missing_json_source_binding_may_say_it_means_empty(tmp_path: Path) -> None:
    path = write_job(tmp_path, {"User": _users()}, settings={"deleteThreshold": None})
    document = json.loads(path.read_text(encoding="utf-8"))
    document["directories"]["Azure Active Directory"]["missingIs"] = "empty"
    path.write_text(json.dumps(document), encoding="utf-8")
    with SyncEngine(load_job(path)) as engine:
        assert engine.run_cycle().succeeded
        (tmp_path / "source.json").unlink()
        removed, report = _removals(engine, True)
        assert report.succeeded and removed == USERS  # what the binding asked for


def test_a_genuinely_empty_source_is_held_by_the_guard(tmp_path: Path) -> None:
    job = load_job(write_job(tmp_path, {"User": _users()}, settings={"deleteThreshold": 10}))
    with SyncEngine(job) as engine:
        assert engine.run_cycle().succeeded
        (tmp_path / "source.json").write_text('{"User": []}', encoding="utf-8")
        for full in (False, True):
            _, report = _removals(engine, full)
            assert report.quarantine == "TooManyDeletes" and report.exported == 0
        assert _active_targets(tmp_path) == USERS


# --- csv ------------------------------------------------------------------------------------------------

COLUMNS = ["id", "userPrincipalName", "displayName", "mailNickname", "department"]


def _csv_text(rows: list[dict[str, Any]], delimiter: str = ",") -> str:
    out = io.StringIO(newline="")
    writer = csv.writer(out, delimiter=delimiter)
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow([row.get(c, "") for c in COLUMNS])
    return out.getvalue()


def _lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines(keepends=True)


def _unclosed_quote(path: Path) -> None:
    lines = _lines(path)
    lines[3] = lines[3].replace(",User", ',"User', 1)  # an opening quote that never closes on its line
    path.write_text("".join(lines), encoding="utf-8")


def _quote_closing_later(path: Path) -> None:
    """An unclosed quote that a later line closes cleanly: the csv module reads the rows between as a cell."""
    lines = _lines(path)
    lines[3] = lines[3].replace(",User", ',"User', 1)
    lines[7] = lines[7].replace(",Sales", '",Sales', 1)
    path.write_text("".join(lines), encoding="utf-8")


def _oversized(path: Path) -> None:
    rows = [dict(zip(COLUMNS, r, strict=True)) for r in csv.reader(io.StringIO(path.read_text("utf-8")))][1:]
    rows[5]["displayName"] = "x" * 200_000  # over the csv module's 128 KiB default limit
    path.write_text(_csv_text(rows), encoding="utf-8")


def _redelimited(path: Path) -> None:
    rows = [dict(zip(COLUMNS, r, strict=True)) for r in csv.reader(io.StringIO(path.read_text("utf-8")))][1:]
    path.write_text(_csv_text(rows, delimiter=";"), encoding="utf-8")


def _short_row(path: Path) -> None:
    lines = _lines(path)
    lines[4] = lines[4].rsplit(",", 1)[0] + "\n"
    path.write_text("".join(lines), encoding="utf-8")


CSV_BREAKS: dict[str, tuple[Callable[[Path], None], bool]] = {
    # name: (break, whether the cycle still succeeds: rows are skipped, or the file is read whole)
    "missing": (lambda path: path.unlink(), False),
    "empty file": (lambda path: path.write_bytes(b""), False),
    "unclosed quote": (_unclosed_quote, True),
    "quote closed lines later": (_quote_closing_later, True),
    "short row": (_short_row, True),
    "oversized field": (_oversized, True),
    "another delimiter": (_redelimited, False),
}


def _users_only(folder: Path) -> str:
    """The scim template's schema without its group mapping (a csv file or a users table holds users)."""
    document = dump_schema(get_template("scim").schema_)
    for rule in document["synchronizationRules"]:
        rule["objectMappings"] = [m for m in rule["objectMappings"] if m["sourceObjectName"] == "User"]
    path = folder / "schema.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    return str(path)


def _csv_job(folder: Path, threshold: int | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = write_job(folder, {}, settings={"deleteThreshold": threshold}, schema=_users_only(folder))
    rows = [{**u, "userPrincipalName": u["userPrincipalName"]} for u in _users()]
    (folder / "users.csv").write_text(_csv_text(rows), encoding="utf-8")
    document = json.loads(path.read_text(encoding="utf-8"))
    document["directories"]["Azure Active Directory"] = {
        "connector": "csv",
        "path": "users.csv",
        "anchor": "id",
        "objectType": "User",
    }
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


@pytest.mark.parametrize("full", [False, True], ids=["incremental", "full"])
@pytest.mark.parametrize("name", list(CSV_BREAKS))
def test_a_broken_csv_source_deletes_nobody(tmp_path: Path, name: str, full: bool) -> None:
    break_it, succeeds = CSV_BREAKS[name]
    with SyncEngine(load_job(_csv_job(tmp_path))) as engine:
        assert engine.run_cycle().succeeded and _active_targets(tmp_path) == USERS
        break_it(tmp_path / "users.csv")
        for _ in range(2):  # and again: a skipped row is no deletion on the cycle after either
            removed, report = _removals(engine, full)
            assert removed == 0, report.to_json()
            assert report.succeeded == succeeds, report.to_json()
            if succeeds and name != "oversized field":
                assert report.incomplete and "users.csv:" in next(iter(report.incomplete.values()))
        assert _active_targets(tmp_path) == USERS


def test_a_csv_source_with_a_header_only_is_an_empty_directory_held_by_the_guard(tmp_path: Path) -> None:
    with SyncEngine(load_job(_csv_job(tmp_path, threshold=10))) as engine:
        assert engine.run_cycle().succeeded
        (tmp_path / "users.csv").write_text(",".join(COLUMNS) + "\n", encoding="utf-8")
        for full in (False, True):
            _, report = _removals(engine, full)
            assert report.quarantine == "TooManyDeletes" and report.exported == 0
        assert _active_targets(tmp_path) == USERS


def test_an_oversized_csv_field_is_read_whole_under_the_default_limit(tmp_path: Path) -> None:
    with SyncEngine(load_job(_csv_job(tmp_path))) as engine:
        assert engine.run_cycle().succeeded
        _oversized(tmp_path / "users.csv")
        report = engine.run_cycle()
        assert report.succeeded and not report.incomplete and report.total("update") == 1


# --- sql ------------------------------------------------------------------------------------------------


def test_a_dropped_source_table_deletes_nobody(tmp_path: Path) -> None:
    source = tmp_path / "source.db"
    connection = sqlite3.connect(source)
    with connection:
        connection.execute(
            'CREATE TABLE users (id TEXT PRIMARY KEY, "userPrincipalName" TEXT, "displayName" TEXT, '
            '"mailNickname" TEXT)'
        )
        connection.executemany(
            "INSERT INTO users VALUES (?, ?, ?, ?)",
            [(u["id"], u["userPrincipalName"], u["displayName"], u["mailNickname"]) for u in _users()],
        )
    path = write_job(tmp_path, {}, settings={"deleteThreshold": None}, schema=_users_only(tmp_path))
    document = json.loads(path.read_text(encoding="utf-8"))
    document["directories"]["Azure Active Directory"] = {
        "connector": "sql",
        "url": f"sqlite:///{source}",
        "objects": {"User": {"table": "users", "anchor": "id"}},
    }
    path.write_text(json.dumps(document), encoding="utf-8")
    with SyncEngine(load_job(path)) as engine:
        assert engine.run_cycle().succeeded and _active_targets(tmp_path) == USERS
        with connection:
            connection.execute("DROP TABLE users")
        connection.close()
        for full in (False, True):
            removed, report = _removals(engine, full)
            assert removed == 0 and not report.succeeded, report.to_json()
    assert _active_targets(tmp_path) == USERS
