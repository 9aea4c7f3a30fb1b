"""The csv connector: HR-feed reading (malformed rows, deletions, encodings) and export writing."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from connectors import (
    Change,
    ConnectionFailed,
    ConnectorConfigError,
    ConnectorContext,
    ConnectorError,
    Modification,
    ObjectRejected,
    Operation,
    ValueOp,
    create_connector,
)
from connectors.csv_file import CsvConnector

from .datastore import DictStore, drain


def feed(tmp_path: Path, text: str | None, file_encoding: str = "utf-8", **settings: object) -> CsvConnector:
    if text is not None:
        (tmp_path / "hr.csv").write_bytes(text.encode(file_encoding))
    made = create_connector(
        "csv",
        {"path": "hr.csv", "anchor": "employeeId", **settings},
        ConnectorContext("HR", base_dir=tmp_path),
    )
    assert isinstance(made, CsvConnector)
    return made


def rows(connector: CsvConnector) -> dict[str, dict[str, object]]:
    objects, _ = drain(connector.read("User"))
    return {o.id: dict(o.attributes) for o in objects}


def test_rows_become_users_keyed_by_the_anchor_with_empty_cells_absent(tmp_path: Path) -> None:
    hr = feed(tmp_path, 'employeeId,givenName,department\nE1,Ann,Sales\nE2,"Bob, Jr",\n')
    assert rows(hr) == {
        "E1": {"employeeId": "E1", "givenName": "Ann", "department": "Sales"},
        "E2": {"employeeId": "E2", "givenName": "Bob, Jr"},
    }


def test_malformed_rows_are_skipped_logged_and_listed_with_their_line(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    text = 'employeeId,givenName\nE1,Ann\nE2,Bob,extra\n,NoAnchor\n"E3","multi\nline"\nE1,Again\nE4,Dee\n'
    hr = feed(tmp_path, text)
    with caplog.at_level(logging.WARNING, logger="connectors.csv"):
        got = rows(hr)
    assert sorted(got) == ["E1", "E3", "E4"]
    assert got["E3"]["givenName"] == "multi\nline"
    assert [(p.line, p.reason.split(" ")[0]) for p in hr.problems] == [
        (3, "3"),
        (4, "the"),
        (7, "employeeId"),
    ]
    assert all(str(p).startswith(f"{tmp_path / 'hr.csv'}:{p.line}: ") for p in hr.problems)
    assert [r.getMessage() for r in caplog.records] == [str(p) for p in hr.problems]


def test_a_row_missing_from_the_new_file_is_a_deletion_but_a_broken_row_is_not(tmp_path: Path) -> None:
    hr, store = feed(tmp_path, "employeeId,givenName\nE1,Ann\nE2,Bob\nE3,Cy\n"), DictStore()
    _, mark = drain(hr.read("User", store=store), store)
    (tmp_path / "hr.csv").write_text("employeeId,givenName\nE1,Ann\nE3,Cy,broken\n")
    changes, _ = drain(hr.read("User", mark, store=store), store)
    assert [(o.id, o.deleted) for o in changes] == [("E2", True)]
    assert [p.line for p in hr.problems] == [3]


def test_a_row_without_a_readable_anchor_suspends_deletions(tmp_path: Path) -> None:
    hr, store = feed(tmp_path, "employeeId,givenName\nE1,Ann\nE2,Bob\nE3,Cy\n"), DictStore()
    _, mark = drain(hr.read("User", store=store), store)
    (tmp_path / "hr.csv").write_text('employeeId,givenName\nE1,Ann Changed\nE2,"Bob\nE3,Cy\n')
    changes, _ = drain(hr.read("User", mark, store=store), store)
    assert [(o.id, o.deleted) for o in changes] == [("E1", False)]
    assert [(p.line, p.anchor) for p in hr.problems] == [(3, None)]
    assert "unexpected end of data" in str(hr.problems[0])
    (tmp_path / "hr.csv").write_text("employeeId,givenName\nE1,Ann Changed\nE3,Cy\n")
    changes, _ = drain(hr.read("User", mark, store=store), store)
    assert [(o.id, o.deleted) for o in changes] == [("E2", True)], "once the file is readable, E2 is gone"


def test_a_stray_quote_is_a_malformed_row(tmp_path: Path) -> None:
    hr = feed(tmp_path, 'employeeId,title\nE1,"Dr" Who\nE2,Nurse\n')
    assert sorted(rows(hr)) == ["E2"]
    assert [(p.line, p.anchor) for p in hr.problems] == [(2, None)]


def test_file_without_a_header_is_fatal_for_a_source(tmp_path: Path) -> None:
    with pytest.raises(ConnectionFailed, match="is empty"):
        list(feed(tmp_path, "").read("User"))


def test_missing_file_is_fatal_for_a_source_but_empty_for_a_target(tmp_path: Path) -> None:
    hr = feed(tmp_path, None)
    with pytest.raises(ConnectionFailed, match="does not exist"):
        list(hr.read("User"))
    assert hr.get("User", ["E1"]) == {}
    create = Change(
        Operation.CREATE, "User", modifications=(Modification("employeeId", ValueOp.REPLACE, ("E1",)),)
    )
    assert hr.apply([create])[0].target_id == "E1"
    hr.end_cycle()
    assert (tmp_path / "hr.csv").read_bytes().decode() == "employeeId\r\nE1\r\n"


@pytest.mark.parametrize(
    ("header", "setting", "message"),
    [
        ("employeeId,,x", "path", "column 2 of the header row has no name"),
        ("employeeId,x,x", "path", "names column 'x' twice"),
        ("id,x", "anchor", "no column 'employeeId'"),
    ],
)
def test_broken_header_is_a_config_error_naming_line_1(
    tmp_path: Path, header: str, setting: str, message: str
) -> None:
    with pytest.raises(ConnectorConfigError, match=message) as caught:
        feed(tmp_path, header + "\nE1,a,b\n").get("User", ["E1"])
    assert caught.value.setting == setting and ":1:" in str(caught.value)


def test_delimiter_encoding_and_byte_order_mark(tmp_path: Path) -> None:
    assert rows(feed(tmp_path, "\ufeffemployeeId;name\nE1;Zoë\n", delimiter=";")) == {
        "E1": {"employeeId": "E1", "name": "Zoë"}
    }
    assert (
        rows(feed(tmp_path, "employeeId,name\nE1,Zoë\n", "latin-1", encoding="latin-1"))["E1"]["name"]
        == "Zoë"
    )
    with pytest.raises(ConnectorConfigError, match="encoding") as caught:
        rows(feed(tmp_path, "employeeId,name\nE1,Zoë\n", "latin-1"))
    assert caught.value.setting == "encoding"


def test_multi_valued_cells(tmp_path: Path) -> None:
    text = "employeeId,mails,title\nE1,a@x;b@x,R&D; Labs\nE2,c@x,\n"
    anywhere = rows(feed(tmp_path, text, multiValueSeparator=";"))
    assert anywhere["E1"]["title"] == ["R&D", " Labs"] and anywhere["E2"]["mails"] == "c@x"
    declared = rows(feed(tmp_path, text, multiValueSeparator=";", multiValueColumns=["mails"]))
    assert declared["E1"] == {"employeeId": "E1", "mails": ["a@x", "b@x"], "title": "R&D; Labs"}
    assert declared["E2"]["mails"] == ["c@x"]


@pytest.mark.parametrize(
    ("settings", "setting"),
    [
        ({"anchor": None}, "anchor"),
        ({"delimiter": ";;"}, "delimiter"),
        ({"multiValueColumns": ["x"]}, "multiValueColumns"),
        ({"multiValueColumns": "x", "multiValueSeparator": ";"}, "multiValueColumns"),
        ({"encoding": 3}, "encoding"),
    ],
)
def test_bad_settings_name_the_setting(tmp_path: Path, settings: dict[str, object], setting: str) -> None:
    with pytest.raises(ConnectorConfigError) as caught:
        feed(tmp_path, "employeeId\n", **settings)
    assert caught.value.setting == setting


def test_the_rows_are_one_object_type_named_by_the_setting_the_schema_or_first_use(tmp_path: Path) -> None:
    (tmp_path / "hr.csv").write_text("employeeId\nE1\n")
    worker = create_connector(
        "csv",
        {"path": "hr.csv", "anchor": "employeeId"},
        ConnectorContext("HR", tmp_path, object_types=("Worker",)),
    )
    assert [o.object_type for o in drain(worker.read("Worker"))[0]] == ["Worker"]
    with pytest.raises(ConnectorConfigError, match="holds Worker objects, not User") as caught:
        worker.get("User", ["E1"])
    assert caught.value.setting == "objectType"
    first_use = feed(tmp_path, None)
    assert list(first_use.get("Person", ["E1"])) == ["E1"]
    with pytest.raises(ConnectorConfigError, match="holds Person objects, not Group"):
        list(first_use.read("Group"))
    with pytest.raises(ConnectorConfigError, match="schema uses User, Group") as caught:
        create_connector(
            "csv",
            {"path": "hr.csv", "anchor": "employeeId"},
            ConnectorContext("HR", tmp_path, ("User", "Group")),
        )
    strict = feed(tmp_path, None, objectType="Employee")
    assert strict.describe()["objects"][0]["name"] == "Employee"


def test_lists_need_a_separator_and_values_must_not_hold_it(tmp_path: Path) -> None:
    plain = feed(tmp_path, "employeeId,mails\nE1,a@x\n")
    add = Change(Operation.UPDATE, "User", "E1", (Modification("mails", ValueOp.ADD, ("b@x",)),))
    [result] = plain.apply([add])
    assert isinstance(result.error, ObjectRejected) and "multiValueSeparator" in str(result.error)
    assert plain.get("User", ["E1"])["E1"].attributes == {"employeeId": "E1", "mails": "a@x"}
    sep = feed(tmp_path, "employeeId,mails\nE1,a@x\n", multiValueSeparator=";")
    bad = Change(Operation.UPDATE, "User", "E1", (Modification("mails", ValueOp.ADD, ("b;c",)),))
    assert isinstance(sep.apply([bad])[0].error, ObjectRejected)
    assert sep.apply([add])[0].ok
    sep.end_cycle()
    assert (tmp_path / "hr.csv").read_bytes().decode() == "employeeId,mails\r\nE1,a@x;b@x\r\n"


def test_a_file_with_malformed_rows_is_never_rewritten(tmp_path: Path) -> None:
    hr = feed(tmp_path, "employeeId,name\nE1,a\nE2,b,c\n")
    before = (tmp_path / "hr.csv").read_text()
    with pytest.raises(ConnectorError, match=r"malformed rows \(lines 3\)") as caught:
        hr.apply([Change(Operation.DELETE, "User", "E1")])
    assert caught.value.policy == "fatal"
    assert (tmp_path / "hr.csv").read_bytes().decode() == before


def test_export_keeps_column_order_and_appends_new_columns(tmp_path: Path) -> None:
    hr = feed(tmp_path, "name,employeeId\nAnn,E1\n")
    mods = (
        Modification("employeeId", ValueOp.REPLACE, ("E2",)),
        Modification("title", ValueOp.REPLACE, ("Dr, PhD",)),
    )
    assert hr.apply([Change(Operation.CREATE, "User", modifications=mods)])[0].target_id == "E2"
    hr.end_cycle()
    assert (
        tmp_path / "hr.csv"
    ).read_bytes().decode() == 'name,employeeId,title\r\nAnn,E1,\r\n,E2,"Dr, PhD"\r\n'
    assert [a["name"] for a in hr.describe()["objects"][0]["attributes"]] == ["employeeId", "name", "title"]
