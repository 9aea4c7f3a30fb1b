"""Complex values (JSON objects: SCIM's ``name``, ``addresses`` and ``emails`` entries) in the file
connectors: a json source reads them, a json target keeps them whole, a csv target refuses the one object
that holds one, naming the attribute -- never a silent drop, never a failed read."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from connectors import (
    Change,
    ConnectorContext,
    Modification,
    ObjectRejected,
    Operation,
    ValueOp,
    create_connector,
)
from engine import SyncEngine, load_job

from .datastore import DictStore, drain

NAME = {"givenName": "Ann", "familyName": "Lee", "formatted": "Ann Lee"}
ADDRESSES = [{"type": "work", "locality": "Paris", "primary": True}, {"type": "home", "locality": "Lyon"}]
EMAILS = [{"value": "ann@contoso.com", "type": "work", "primary": True}]


def json_dir(tmp_path: Path) -> Any:
    settings = {"path": "dir.json", "multiValued": ["emails", "addresses"]}
    return create_connector("json", settings, ConnectorContext("Dir", base_dir=tmp_path))


def create(**values: Any) -> Change:
    mods = tuple(
        Modification(k, ValueOp.REPLACE, tuple(v) if isinstance(v, list) else (v,)) for k, v in values.items()
    )
    return Change(Operation.CREATE, "User", modifications=mods, key=values.get("userName", ""))


def test_a_json_source_reads_complex_values_as_they_are(tmp_path: Path) -> None:
    document = {"User": [{"id": "u1", "name": NAME, "addresses": ADDRESSES, "emails": EMAILS, "n": 1}]}
    (tmp_path / "dir.json").write_text(json.dumps(document), encoding="utf-8")
    objects, _ = drain(json_dir(tmp_path).read("User", None, store=DictStore()))
    assert [dict(o.attributes) for o in objects] == [
        {"name": NAME, "addresses": ADDRESSES, "emails": EMAILS, "n": 1}
    ]


def test_a_json_target_keeps_complex_values_whole_through_its_journal_and_file(tmp_path: Path) -> None:
    target = json_dir(tmp_path)
    [made] = target.apply([create(userName="ann", name=NAME, addresses=ADDRESSES, emails=EMAILS)])
    assert made.ok
    # Read back before the fold (journal replayed by another reader) and after it (the file).
    for _ in range(2):
        again = json_dir(tmp_path).get("User", [made.target_id])[made.target_id].attributes
        assert again == {"userName": "ann", "name": NAME, "addresses": ADDRESSES, "emails": EMAILS}
        target.end_cycle()
    written = json.loads((tmp_path / "dir.json").read_text(encoding="utf-8"))["User"][0]
    assert written["name"] == NAME and written["addresses"] == ADDRESSES


def test_complex_values_are_added_removed_and_found_by_their_content(tmp_path: Path) -> None:
    target = json_dir(tmp_path)
    [made] = target.apply([create(userName="ann", addresses=ADDRESSES[:1])])
    assert made.target_id is not None
    reordered = dict(reversed(list(ADDRESSES[0].items())))  # the same value, members in another order
    add = Modification("addresses", ValueOp.ADD, (reordered, ADDRESSES[1]))
    remove = Modification(
        "addresses", ValueOp.REMOVE, ({"type": "work", "locality": "Paris", "primary": True},)
    )
    for mods, expected in (((add,), ADDRESSES), ((remove,), [ADDRESSES[1]])):
        [result] = target.apply([Change(Operation.UPDATE, "User", made.target_id, mods)])
        assert result.ok
        assert target.get("User", [made.target_id])[made.target_id].attributes["addresses"] == expected
    found = target.find("User", "addresses", [json.dumps(ADDRESSES[1], separators=(",", ":"))])
    assert [o.id for o in next(iter(found.values()))] == [made.target_id]


def test_a_value_that_is_not_json_is_refused_naming_the_attribute(tmp_path: Path) -> None:
    target = json_dir(tmp_path)
    results = target.apply([create(userName="x", name={"when": {1, 2}}), create(userName="ok")])
    assert isinstance(results[0].error, ObjectRejected) and "'name'" in str(results[0].error)
    assert results[1].ok  # the rest of the batch is written


def test_a_csv_target_refuses_the_object_holding_a_complex_value_and_writes_the_others(
    tmp_path: Path,
) -> None:
    settings = {"path": "out.csv", "anchor": "userName", "multiValueSeparator": ";"}
    target = create_connector(
        "csv", settings, ConnectorContext("Out", base_dir=tmp_path, object_types=("User",))
    )
    results = target.apply(
        [create(userName="ann", name=NAME), create(userName="bob", emails=EMAILS), create(userName="cy")]
    )
    for refused, attribute in zip(results[:2], ("'name'", "'emails'"), strict=True):
        assert isinstance(refused.error, ObjectRejected)
        assert attribute in str(refused.error) and "complex value" in str(refused.error)
    assert results[2].ok
    target.end_cycle()
    assert (tmp_path / "out.csv").read_text(encoding="utf-8").splitlines() == ["userName", "cy"]


SCHEMA_ATTRIBUTES = ("userName", "name", "emails", "addresses")


def _schema() -> dict[str, Any]:
    def definitions(names: tuple[str, ...]) -> list[dict[str, Any]]:
        return [{"name": "id", "type": "String", "anchor": True}] + [
            {"name": n, "type": "String", "multivalued": n in ("emails", "addresses")} for n in names
        ]

    mappings = [
        {"targetAttributeName": n, "source": {"type": "Attribute", "name": n}, "matchingPriority": 0}
        for n in SCHEMA_ATTRIBUTES
    ]
    mappings[0]["matchingPriority"] = 1  # userName
    users = {
        "name": "users",
        "enabled": True,
        "flowTypes": "Add, Update, Delete",
        "sourceObjectName": "User",
        "targetObjectName": "User",
        "attributeMappings": mappings,
    }
    rule = {"id": "r", "name": "r", "priority": 1, "objectMappings": [users]}
    rule.update(sourceDirectoryName="Source", targetDirectoryName="Target")
    return {
        "id": "complex",
        "directories": [
            {"name": name, "objects": [{"name": "User", "attributes": definitions(SCHEMA_ATTRIBUTES)}]}
            for name in ("Source", "Target")
        ],
        "synchronizationRules": [rule],
    }


def _engine(folder: Path, target: dict[str, Any]) -> SyncEngine:
    source = {
        "User": [
            {"id": "u1", "userName": "ann", "name": NAME, "emails": EMAILS, "addresses": ADDRESSES},
            {"id": "u2", "userName": "bob", "emails": ["bob@contoso.com"]},
        ]
    }
    (folder / "source.json").write_text(json.dumps(source), encoding="utf-8")
    (folder / "schema.json").write_text(json.dumps(_schema()), encoding="utf-8")
    job = {
        "id": "complex",
        "schema": "schema.json",
        "schedule": "PT5M",
        "directories": {"Source": {"connector": "json", "path": "source.json"}, "Target": target},
    }
    (folder / "job.json").write_text(json.dumps(job), encoding="utf-8")
    return SyncEngine(load_job(folder / "job.json"))


def test_a_cycle_passes_complex_values_from_a_json_source_to_a_json_target(tmp_path: Path) -> None:
    sync = _engine(tmp_path, {"connector": "json", "path": "target.json"})
    try:
        report = sync.run_cycle()
        assert report.state == "Succeeded" and report.exported == 2
        users = {u["userName"]: u for u in json.loads((tmp_path / "target.json").read_text())["User"]}
        assert users["ann"]["name"] == NAME
        assert users["ann"]["emails"] == EMAILS and users["ann"]["addresses"] == ADDRESSES
        assert sync.run_cycle().exported == 0  # a second cycle finds nothing changed
    finally:
        sync.close()


def test_a_cycle_into_a_csv_target_reports_the_object_it_cannot_hold(tmp_path: Path) -> None:
    target = {"connector": "csv", "path": "target.csv", "anchor": "userName", "multiValueSeparator": ";"}
    sync = _engine(tmp_path, target)
    try:
        report = sync.run_cycle()
        assert report.escrowed == 1 and report.exported == 1  # ann refused, bob written: nothing dropped
        assert (tmp_path / "target.csv").read_text(encoding="utf-8").splitlines() == [
            "userName,emails",
            "bob,bob@contoso.com",
        ]
        failures = [r for r in sync.logs() if r["provisioningStatusInfo"]["status"] == "failure"]
        assert len(failures) == 1 and "complex value" in json.dumps(failures[0])
    finally:
        sync.close()
