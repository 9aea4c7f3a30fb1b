"""The json connector's file handling: missing and malformed files, edits between cycles, atomic writes."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from connectors import (
    Change,
    ConnectorConfigError,
    ConnectorContext,
    ConnectorError,
    Modification,
    Operation,
    ValueOp,
    create_connector,
)
from connectors.json_file import JsonFileConnector

from .datastore import DictStore, drain


def connector(tmp_path: Path, **settings: object) -> JsonFileConnector:
    made = create_connector(
        "json", {"path": "dir.json", **settings}, ConnectorContext("Dir", base_dir=tmp_path)
    )
    assert isinstance(made, JsonFileConnector)
    return made


def create(name: str) -> Change:
    return Change(
        Operation.CREATE, "User", modifications=(Modification("displayName", ValueOp.REPLACE, (name,)),)
    )


def test_missing_file_is_an_empty_directory_created_by_the_first_write(tmp_path: Path) -> None:
    json_dir = connector(tmp_path)
    assert drain(json_dir.read("User"))[0] == []
    [result] = json_dir.apply([create("Ann")])
    written = json.loads((tmp_path / "dir.json").read_text())
    assert written == {"User": [{"id": result.target_id, "displayName": "Ann"}]}


def test_path_is_relative_to_the_job_folder_and_required(tmp_path: Path) -> None:
    assert connector(tmp_path).path == tmp_path / "dir.json"
    with pytest.raises(ConnectorConfigError, match="path"):
        create_connector("json", {}, ConnectorContext("Dir", base_dir=tmp_path))


def test_invalid_json_names_file_line_and_column(tmp_path: Path) -> None:
    (tmp_path / "dir.json").write_text('{"User": [\n  {"id": "u1",}\n]}')
    with pytest.raises(ConnectorConfigError) as caught:
        list(connector(tmp_path).read("User"))
    assert f"{tmp_path / 'dir.json'}:2:15:" in str(caught.value)


@pytest.mark.parametrize(
    ("document", "where"),
    [
        ([], "$"),
        ({"User": {"id": "u1"}}, "$.User"),
        ({"User": [{"name": "x"}]}, "$.User[0].id"),
        ({"User": [{"id": "u1", "name": {"first": "A"}}]}, "$.User[0].name"),
        ({"User": [{"id": "u1"}, {"id": "u1"}]}, "$.User[1].id"),
        ({"User": [{"id": "u1", "tags": [["x"]]}]}, "$.User[0].tags"),
    ],
)
def test_wrong_shape_names_the_json_path(tmp_path: Path, document: object, where: str) -> None:
    (tmp_path / "dir.json").write_text(json.dumps(document))
    with pytest.raises(ConnectorConfigError, match="dir.json " + re.escape(where)):
        connector(tmp_path).get("User", ["u1"])


def test_a_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    (tmp_path / "dir.json").write_bytes(b"\xef\xbb\xbf" + json.dumps({"User": [{"id": "u1"}]}).encode())
    assert list(connector(tmp_path).get("User", ["u1"])) == ["u1"]


def test_integer_ids_are_read_as_text(tmp_path: Path) -> None:
    (tmp_path / "dir.json").write_text(json.dumps({"User": [{"id": 7, "n": 1}]}))
    assert connector(tmp_path).get("User", ["7"])["7"].attributes == {"n": 1}


def test_edits_between_cycles_are_seen_by_a_long_lived_connector(tmp_path: Path) -> None:
    path = tmp_path / "dir.json"
    path.write_text(json.dumps({"User": [{"id": "u1", "displayName": "A"}]}))
    json_dir, store = connector(tmp_path), DictStore()
    _, mark = drain(json_dir.read("User", store=store), store)
    path.write_text(json.dumps({"User": [{"id": "u1", "displayName": "A, edited"}, {"id": "u2"}]}))
    changed, _ = drain(json_dir.read("User", mark, store=store), store)
    assert [(o.id, dict(o.attributes)) for o in changed] == [("u1", {"displayName": "A, edited"}), ("u2", {})]


def test_disabled_and_soft_deleted_markers_are_plain_attributes(tmp_path: Path) -> None:
    (tmp_path / "dir.json").write_text(
        json.dumps(
            {"User": [{"id": "u1", "accountEnabled": False, "deletedDateTime": "2026-01-01T00:00:00Z"}]}
        )
    )
    [user], _ = drain(connector(tmp_path).read("User"))
    assert user.attributes == {"accountEnabled": False, "deletedDateTime": "2026-01-01T00:00:00Z"}
    assert not user.deleted


def test_a_batch_is_one_atomic_rewrite_without_leftover_temp_files(tmp_path: Path) -> None:
    json_dir = connector(tmp_path)
    results = json_dir.apply([create(f"user {i}") for i in range(5)])
    assert all(r.ok for r in results)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dir.json"]
    assert len(json.loads((tmp_path / "dir.json").read_text())["User"]) == 5


def test_unwritable_folder_is_a_fatal_connector_error(tmp_path: Path) -> None:
    (tmp_path / "dir.json").mkdir()  # a folder where the file should be: os.replace fails
    json_dir = create_connector(
        "json", {"path": str(tmp_path / "dir.json" / "x" / "y")}, ConnectorContext("D")
    )
    (tmp_path / "dir.json" / "x").write_text("not a folder")
    with pytest.raises(ConnectorError, match="cannot write") as caught:
        json_dir.apply([create("Ann")])
    assert caught.value.policy == "fatal"


def test_rejected_change_alone_does_not_rewrite_the_file(tmp_path: Path) -> None:
    json_dir = connector(tmp_path)
    [result] = json_dir.apply([Change(Operation.UPDATE, "User", "missing", ())])
    assert not result.ok
    assert not (tmp_path / "dir.json").exists()


def test_writing_the_id_attribute_is_rejected(tmp_path: Path) -> None:
    change = Change(Operation.CREATE, "User", modifications=(Modification("id", ValueOp.REPLACE, ("x",)),))
    [result] = connector(tmp_path).apply([change])
    assert result.error is not None and "anchor" in str(result.error)


def test_multi_valued_setting_keeps_single_values_as_lists(tmp_path: Path) -> None:
    json_dir = connector(tmp_path, multiValued=["members"])
    change = Change(
        Operation.CREATE, "Group", modifications=(Modification("members", ValueOp.REPLACE, ("u1",)),)
    )
    [result] = json_dir.apply([change])
    assert json_dir.get("Group", [result.target_id or ""])[result.target_id or ""].attributes == {
        "members": ["u1"]
    }


def test_describe_infers_types_multi_values_and_references(tmp_path: Path) -> None:
    (tmp_path / "dir.json").write_text(
        json.dumps({"User": [{"id": "u1", "n": 3, "on": True, "mail": ["a"], "manager": "u2", "name": "x"}]})
    )
    definition = connector(tmp_path).describe()
    [user] = definition["objects"]
    kinds = {a["name"]: (a["type"], a["multivalued"], a["anchor"]) for a in user["attributes"]}
    assert kinds == {
        "id": ("String", False, True),
        "n": ("Integer", False, False),
        "on": ("Boolean", False, False),
        "mail": ("String", True, False),
        "manager": ("Reference", False, False),
        "name": ("String", False, False),
    }
    assert definition["name"] == "Dir"
