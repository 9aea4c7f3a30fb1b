"""Descriptive schema metadata a user may take for a behaviour (issue 15): ``idsync validate`` warns about the
values the engine does not act on -- on the objects an enabled mapping reads or writes -- instead of staying
silent; the values that agree with what the engine does, and unused objects, stay quiet."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import engine

TEMPLATE = Path(engine.__file__).parent / "templates" / "scim.json"


def _scim_schema() -> dict[str, Any]:
    schema: dict[str, Any] = json.loads(TEMPLATE.read_text(encoding="utf-8"))["schema"]
    return schema


def _set(objects: list[dict[str, Any]], name: str, key: str, value: str) -> int:
    (obj,) = [o for o in objects if o["name"] == name]
    obj.setdefault("metadata", []).append({"key": key, "value": value})
    return len(obj["metadata"]) - 1


def _warnings(schema: dict[str, Any]) -> dict[str, str]:
    return {f.path: f.message for f in engine.validate(schema) if f.severity == "warning"}


def test_descriptive_values_that_read_like_a_behaviour_are_warned_about() -> None:
    schema = _scim_schema()
    assert _warnings(schema) == {}
    source, target = (d["objects"] for d in schema["directories"])
    users = _set(source, "User", "IsSynchronizeAllSupported", "false")
    groups = _set(target, "urn:ietf:params:scim:schemas:core:2.0:Group", "IsHardDeletionSupported", "false")
    on_demand = _set(source, "Group", "supportsProvisionOnDemand", "false")
    said = _warnings(schema)
    user_index = [o["name"] for o in source].index("User")
    assert "idsync has no assignments" in said[f"directories[0].objects[{user_index}].metadata[{users}]"]
    group_index = [o["name"] for o in target].index("urn:ietf:params:scim:schemas:core:2.0:Group")
    where = f"directories[1].objects[{group_index}].metadata[{groups}]"
    assert "take Delete out of its flowTypes" in said[where]
    group_source = [o["name"] for o in source].index("Group")
    assert "idsync provision" in said[f"directories[0].objects[{group_source}].metadata[{on_demand}]"]
    assert len(said) == 3


def test_agreeing_values_and_unused_objects_stay_quiet() -> None:
    schema = _scim_schema()
    source, target = (d["objects"] for d in schema["directories"])
    _set(source, "User", "IsHardDeletionSupported", "false")  # a source: nothing is deleted there
    _set(target, "urn:ietf:params:scim:schemas:core:2.0:User", "IsSynchronizeAllSupported", "false")  # target
    _set(source, "User", "supportsProvisionOnDemand", "true")
    for mapping in schema["synchronizationRules"][0]["objectMappings"]:
        if mapping["sourceObjectName"] == "Group":
            mapping["enabled"] = False
    _set(source, "Group", "IsSynchronizeAllSupported", "false")  # no enabled mapping reads groups
    assert _warnings(schema) == {}
