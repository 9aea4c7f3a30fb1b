"""The json connector's file handling: missing and malformed files, edits between cycles, atomic writes."""

from __future__ import annotations

import json
import re
import tracemalloc
from collections.abc import Iterator
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


def test_missing_file_is_an_empty_directory_created_by_the_first_cycle(tmp_path: Path) -> None:
    json_dir = connector(tmp_path)
    assert json_dir.get("User", ["u1"]) == {} and json_dir.find("User", "displayName", ["Ann"]) == {}
    [result] = json_dir.apply([create("Ann")])
    json_dir.end_cycle()
    written = json.loads((tmp_path / "dir.json").read_text())
    assert written == {"User": [{"id": result.target_id, "displayName": "Ann"}]}


def test_a_missing_source_file_is_an_error_unless_the_binding_says_it_means_empty(tmp_path: Path) -> None:
    """A file that did not arrive must not read as a directory with nobody in it (every user deleted)."""
    with pytest.raises(ConnectorError, match=r"dir\.json does not exist.*missingIs: empty"):
        drain(connector(tmp_path).read("User"))
    assert drain(connector(tmp_path, missingIs="empty").read("User"))[0] == []
    with pytest.raises(ConnectorConfigError, match="missingIs"):
        connector(tmp_path, missingIs="nothing")


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
        ({"User": [{"id": "u1", "name": [{"first": "A"}, ["B"]]}]}, "$.User[0].name"),  # a list in a list
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


def test_batches_are_journaled_and_the_cycle_ends_with_one_atomic_rewrite(tmp_path: Path) -> None:
    json_dir = connector(tmp_path)
    results = json_dir.apply([create(f"user {i}") for i in range(5)])
    results += json_dir.apply([create("user 5")])
    assert all(r.ok for r in results)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dir.json.journal"]
    assert len((tmp_path / "dir.json.journal").read_text().splitlines()) == 2  # a line per batch
    assert len(connector(tmp_path).get("User", [r.target_id or "" for r in results])) == 6  # a reader replays
    json_dir.end_cycle()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dir.json"]
    text = (tmp_path / "dir.json").read_text()
    assert len(json.loads(text)["User"]) == 6
    assert len(text.splitlines()) == 8  # compact: one object a line


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


def write_users(path: Path, count: int) -> int:
    """A generated file of ``count`` users (about 600 bytes each, like the benchmark's), written as a stream;
    its size in bytes."""
    with path.open("w", encoding="utf-8") as out:
        out.write('{"Group": [{"id": "g1", "members": ["u0", "u1"]}],\n"User": [\n')
        for i in range(count):
            user = {
                "id": f"u{i}",
                "displayName": f"Zoë Müller {i}",
                "mail": f"zoe.muller{i}@contoso.example",
                "department": ["Sales", "R&D", "Operations"][i % 3],
                "proxyAddresses": [f"SMTP:zoe{i}@contoso.example", f"smtp:z{i}@mail.contoso.example"],
                "accountEnabled": i % 7 != 0,
                "manager": f"u{i // 10}" if i else None,
                "employeeNumber": 100_000 + i,
                "jobTitle": "Senior Field Engineer",
                "streetAddress": f"{i} Rue de la Paix",
                "city": "Zürich",
                "usageLocation": "CH",
                "userPrincipalName": f"zoe.muller{i}@contoso.example",
                "otherMails": [f"zoe{i}@example.org"],
            }
            out.write(("," if i else "") + json.dumps(user, ensure_ascii=False) + "\n")
        out.write("]}\n")
    return path.stat().st_size


def test_a_read_holds_a_page_and_the_ids_not_the_document(tmp_path: Path) -> None:
    size = write_users(tmp_path / "dir.json", 20_000)
    json_dir = connector(tmp_path)
    tracemalloc.start()
    try:
        ids = {f"u{i}" for i in range(20_000)}  # what the read must hold anyway: the set of ids read
        held_for_ids = tracemalloc.get_traced_memory()[1]
        del ids
        tracemalloc.reset_peak()
        users = sum(len(page.objects) for page in json_dir.read("User", page_size=200))
        left, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert users == 20_000
    assert left < 100_000, f"{left} bytes still held once the read is over"
    # Beside the ids, a page, the buffer and the object being decoded: a small part of the 10 MB file, whose
    # text alone would take its size and json.loads of it 4x that.
    assert peak - held_for_ids < size / 6, f"peak {peak / 1e6:.1f} MB for a {size / 1e6:.1f} MB file"
    assert json_dir._directory is None  # the read never loaded the directory


def test_reading_one_object_type_skips_the_others(tmp_path: Path) -> None:
    write_users(tmp_path / "dir.json", 20)
    [group], _ = drain(connector(tmp_path).read("Group"))
    assert (group.id, group.attributes) == ("g1", {"members": ["u0", "u1"]})
    users, _ = drain(connector(tmp_path).read("User"))
    assert [u.id for u in users] == [f"u{i}" for i in range(20)]
    assert users[3].attributes["employeeNumber"] == 100_003 and "manager" not in users[0].attributes


def test_a_duplicate_id_fails_the_read_after_the_pages_before_it(tmp_path: Path) -> None:
    users = [{"id": f"u{i}"} for i in range(10)] + [{"id": "u4"}]
    (tmp_path / "dir.json").write_text(json.dumps({"User": users}))
    read = connector(tmp_path).read("User", page_size=5)
    assert [u.id for u in next(read).objects] == ["u0", "u1", "u2", "u3", "u4"]
    with pytest.raises(ConnectorConfigError, match=re.escape("$.User[10].id: duplicate id 'u4'")):
        list(read)


def test_a_bad_value_fails_the_read_after_the_pages_before_it(tmp_path: Path) -> None:
    # The file is decoded dozens of objects at a time: the ones before the bad one still make their pages.
    users: list[dict[str, object]] = [{"id": f"u{i}", "n": i} for i in range(12)]
    users[10]["n"] = [["a list in a list"]]  # (an object is a complex value, read as such)
    (tmp_path / "dir.json").write_text(json.dumps({"User": users}))
    read = connector(tmp_path).read("User", page_size=5)
    assert [[u.id for u in page.objects] for page in (next(read), next(read))] == [
        [f"u{i}" for i in range(5)],
        [f"u{i}" for i in range(5, 10)],
    ]
    with pytest.raises(ConnectorConfigError, match=re.escape("$.User[10].n: list items must be")):
        next(read)


class CountingStore(DictStore):
    def __init__(self) -> None:
        super().__init__()
        self.scans = 0

    def keys(self) -> Iterator[str]:
        self.scans += 1
        return super().keys()


def test_an_incremental_read_scans_the_store_only_when_an_object_may_be_gone(tmp_path: Path) -> None:
    path = tmp_path / "dir.json"
    path.write_text(json.dumps({"User": [{"id": f"u{i}", "n": i} for i in range(10)]}))
    json_dir, store = connector(tmp_path), CountingStore()
    _, mark = drain(json_dir.read("User", page_size=3, store=store), store)
    # Edited and added users (the new ones committed page by page, as the engine does): nothing is gone.
    path.write_text(json.dumps({"User": [{"id": f"u{i}", "n": i if i % 4 else -i} for i in range(14)]}))
    store.scans = 0
    changed, mark = drain(json_dir.read("User", mark, page_size=3, store=store), store)
    assert [u.id for u in changed] == ["u4", "u8", "u10", "u11", "u12", "u13"] and store.scans == 0
    path.write_text(
        json.dumps({"User": [{"id": f"u{i}", "n": i if i % 4 else -i} for i in range(14) if i != 7]})
    )
    changed, _ = drain(json_dir.read("User", mark, page_size=3, store=store), store)
    assert [(u.id, u.deleted) for u in changed] == [("u7", True)] and store.scans == 1


def test_validate_credentials_checks_the_whole_file_without_loading_it(tmp_path: Path) -> None:
    path = tmp_path / "dir.json"
    path.write_text(json.dumps({"User": [{"id": "u1"}], "Group": [{"id": "g1", "owner": [["u1"]]}]}))
    json_dir = connector(tmp_path)
    with pytest.raises(ConnectorConfigError, match=re.escape("$.Group[0].owner")):
        json_dir.validate_credentials()
    path.write_text(json.dumps({"User": [{"id": "u1"}], "Group": [{"id": "g1", "owner": "u1"}]}))
    json_dir.validate_credentials()
    assert json_dir._directory is None


def test_get_on_a_source_keeps_only_the_objects_asked_for(tmp_path: Path) -> None:
    write_users(tmp_path / "dir.json", 50)
    json_dir = connector(tmp_path)
    found = json_dir.get("User", ["u7", "u3", "nobody"])
    assert sorted(found) == ["u3", "u7"] and found["u7"].attributes["employeeNumber"] == 100_007
    assert json_dir.get("Group", ["g1"])["g1"].attributes == {"members": ["u0", "u1"]}
    assert json_dir._directory is None
    # Once loaded (a target's writes), the directory answers, with what was written.
    [created] = json_dir.apply([create("Ann")])
    assert json_dir._directory is not None
    assert json_dir.get("User", [created.target_id or ""])[created.target_id or ""].attributes == {
        "displayName": "Ann"
    }
