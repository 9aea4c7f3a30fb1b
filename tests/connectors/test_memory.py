"""The memory connector: initial objects, sharing by name, test hooks (mutation, injected failures)."""

from __future__ import annotations

import pytest

from connectors import (
    Change,
    ConnectionFailed,
    ConnectorConfigError,
    ConnectorContext,
    Modification,
    Operation,
    ValueOp,
    create_connector,
)
from connectors.memory import Directory, MemoryConnector, memory_directory, reset_memory_directories

from .datastore import DictStore, drain


def memory(settings: dict[str, object] | None = None, **options: object) -> MemoryConnector:
    made = create_connector("memory", settings or {}, ConnectorContext("Mem", options=options))
    assert isinstance(made, MemoryConnector)
    return made


def create(name: str) -> Change:
    return Change(
        Operation.CREATE, "User", modifications=(Modification("displayName", ValueOp.REPLACE, (name,)),)
    )


def test_initial_objects_are_read_back() -> None:
    mem = memory({"objects": {"User": [{"id": "u1", "displayName": "Ann", "manager": "u2"}, {"id": "u2"}]}})
    objects, _ = drain(mem.read("User"))
    assert [(o.id, dict(o.attributes)) for o in objects] == [
        ("u1", {"displayName": "Ann", "manager": "u2"}),
        ("u2", {}),
    ]


def test_bad_initial_objects_name_the_path() -> None:
    with pytest.raises(ConnectorConfigError, match=r"\$\.User\[0\]\.id"):
        memory({"objects": {"User": [{"displayName": "no id"}]}})


def test_connectors_with_the_same_name_share_one_directory() -> None:
    reset_memory_directories()
    writer, reader = memory({"name": "shared"}), memory({"name": "shared"})
    [result] = writer.apply([create("Ann")])
    assert reader.get("User", [result.target_id or ""])
    assert memory_directory("shared").ids("User") == [result.target_id]
    reset_memory_directories()
    assert memory_directory("shared").ids("User") == []


def test_a_directory_can_be_handed_in_and_mutated_by_the_test() -> None:
    directory = Directory()
    mem = memory(directory=directory)
    store = DictStore()
    _, mark = drain(mem.read("User", store=store), store)
    directory.put("User", "u9", {"displayName": "added by the test"})
    changes, _ = drain(mem.read("User", mark, store=store), store)
    assert [o.id for o in changes] == ["u9"]
    assert directory.remove("User", "u9")
    changes, _ = drain(mem.read("User", mark, store=store), store)
    assert [(o.id, o.deleted) for o in changes] == [("u9", True)]


def test_injected_failure_stops_a_batch_part_way_once() -> None:
    mem = memory()
    mem.fail_after(2, ConnectionFailed("target went away"))
    with pytest.raises(ConnectionFailed):
        mem.apply([create(f"u{i}") for i in range(4)])
    assert len(mem.directory.ids("User")) == 2
    assert [c.modifications[0].values for c in mem.applied] == [("u0",), ("u1",)]
    assert all(r.ok for r in mem.apply([create("after")]))


def test_snapshot_has_the_json_file_shape() -> None:
    mem = memory({"objects": {"Group": [{"id": "g1", "members": ["u1"]}]}})
    assert mem.directory.snapshot() == {"Group": [{"id": "g1", "members": ["u1"]}]}
