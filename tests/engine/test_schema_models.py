"""Graph schema models: every real document loads and dumps back unchanged; helpers; old encodings."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import engine
from engine.schema import (
    DocumentError,
    ObjectDefinition,
    ObjectMapping,
    SchemaLoadError,
    dump_model,
    load_template,
    parse_flow_types,
    read_text,
)

SAMPLES = Path(__file__).parent.parent / "samples"
SCHEMAS = sorted(
    p.name
    for p in SAMPLES.glob("*.json")
    if "cloudsync" in p.name or "cross-tenant" in p.name or "template-with-schema" in p.name
)


def load_sample(name: str) -> Any:
    return json.loads(read_text(SAMPLES / name))


def test_every_whole_schema_is_in_the_sample_set() -> None:
    assert len(SCHEMAS) == 5


@pytest.mark.parametrize("name", SCHEMAS)
def test_real_schema_round_trips(name: str) -> None:
    document = load_sample(name)
    if "template" in name:
        assert dump_model(load_template(SAMPLES / name)) == document
        document = document["schema"]
    schema = engine.load_schema(document)
    assert engine.dump_schema(schema) == document


@pytest.mark.parametrize(
    ("name", "model"),
    [
        ("graphdocs-beta-2017_objectDefinition_aad-user.json", ObjectDefinition),
        ("graphdocs-beta-2017_objectMapping_salesforce-users.json", ObjectMapping),
    ],
)
def test_fragments_round_trip(name: str, model: type[ObjectDefinition | ObjectMapping]) -> None:
    document = load_sample(name)
    assert dump_model(model.model_validate(document)) == document


def test_load_schema_from_a_template_file_gives_its_schema() -> None:
    schema = engine.load_schema(
        SAMPLES / "graphdocs-beta-2017_salesforce-SfOutDelta_template-with-schema.json"
    )
    assert [r.name for r in schema.synchronization_rules] == ["USER_OUTBOUND_USER", "PROFILE_INBOUND_APPROLE"]


def test_lookups_are_case_insensitive_and_return_none_when_absent() -> None:
    schema = engine.load_schema(
        SAMPLES / "graphdocs-beta-2017_salesforce-SfOutDelta_template-with-schema.json"
    )
    aad = schema.directory("azure active directory")
    assert aad is not None and aad.name == "Azure Active Directory"
    user = aad.object("user")
    assert user is not None
    manager = user.attribute("MANAGER")
    assert manager is not None and manager.type is engine.AttributeType.REFERENCE
    assert manager.referenced_objects and manager.referenced_objects[0].referenced_object_name == "User"
    assert user.attribute("noSuchAttribute") is None
    assert aad.object("Nope") is None
    assert schema.directory("Nope") is None


def test_metadata_value_unwraps_json_encoded_strings() -> None:
    schema = engine.load_schema(
        SAMPLES / "graphdocs-beta-2017_salesforce-SfOutDelta_template-with-schema.json"
    )
    mapping = schema.synchronization_rules[0].object_mappings[0]
    assert mapping.metadata_value("Disposition") == "Normal"
    assert mapping.metadata_value("EscrowBehavior") == "Default"
    assert mapping.metadata_value("IsCustomerDefined") == "false"
    assert mapping.metadata_value("missing") is None
    user = ObjectDefinition.model_validate(load_sample("graphdocs-beta-2017_objectDefinition_aad-user.json"))
    assert user.metadata_value("PropertyNameSoftDeleted") == "IsSoftDeleted"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (None, {"Add", "Update", "Delete"}),
        ("Add, Update, Delete", {"Add", "Update", "Delete"}),
        ("Add,Update,Delete", {"Add", "Update", "Delete"}),
        ("Add, Update", {"Add", "Update"}),
        ("update", {"Update"}),
        (7, {"Add", "Update", "Delete"}),
        (3, {"Add", "Update"}),
        (4, {"Delete"}),
        ("5", {"Add", "Delete"}),
        ("None", set()),
    ],
)
def test_flow_types_normalised(raw: object, expected: set[str]) -> None:
    assert parse_flow_types(raw) == frozenset(expected)
    assert ObjectMapping.model_validate({"flowTypes": raw}).flow_types == frozenset(expected)


def test_unknown_flow_type_is_a_load_error_naming_the_path() -> None:
    document = {"synchronizationRules": [{"objectMappings": [{"flowTypes": "Add, Upsert"}]}]}
    with pytest.raises(SchemaLoadError) as raised:
        engine.load_schema(document)
    assert raised.value.problems[0].path == "synchronizationRules[0].objectMappings[0].flowTypes"
    assert "upsert" in raised.value.problems[0].message


def test_numeric_enums_of_old_documents_load_as_names() -> None:
    mapping = engine.AttributeMapping.model_validate(
        {"targetAttributeName": "x", "flowType": 1, "flowBehavior": 1, "source": None}
    )
    assert mapping.flow_type is engine.FlowType.OBJECT_ADD_ONLY
    assert mapping.flow_behavior is engine.FlowBehavior.FLOW_ALWAYS
    assert dump_model(mapping)["flowType"] == "ObjectAddOnly"
    attribute = engine.AttributeDefinition.model_validate({"name": "a", "type": 1, "mutability": 1})
    assert attribute.type is engine.AttributeType.INTEGER
    assert attribute.mutability is engine.Mutability.READ_ONLY


def test_wrong_types_name_path_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text(
        '{\n  "directories": [\n    {"name": "A", "objects": [{"name": 5, "attributes": []}]}\n  ]\n}\n'
    )
    with pytest.raises(SchemaLoadError) as raised:
        engine.load_schema(path)
    problem = raised.value.problems[0]
    assert problem.path == "directories[0].objects[0].name"
    assert (problem.line, problem.column) == (3, 40)
    assert str(path) in str(raised.value)


def test_malformed_json_names_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text('{\n  "version": "1",\n  "directories": [,]\n}\n')
    with pytest.raises(DocumentError) as raised:
        engine.load_schema(path)
    assert (raised.value.line, raised.value.column) == (3, 19)


def test_utf16_with_bom_is_read(tmp_path: Path) -> None:
    path = tmp_path / "ps.json"
    path.write_bytes(json.dumps({"directories": [], "synchronizationRules": []}).encode("utf-16"))
    assert engine.load_schema(path).directories == []


def test_unknown_fields_and_odata_annotations_are_kept() -> None:
    document = {
        "@odata.context": "x",
        "futureField": {"nested": [1, 2]},
        "directories": [{"name": "D", "objects": [], "@odata.type": "#microsoft.graph.directoryDefinition"}],
        "synchronizationRules": [],
    }
    assert engine.dump_schema(engine.load_schema(document)) == document


def test_restart_criteria_scopes() -> None:
    criteria = engine.SynchronizationJobRestartCriteria.model_validate(
        {"resetScope": "Watermark, forcedeletes"}
    )
    assert criteria.scopes == frozenset({"Watermark", "ForceDeletes"})
    assert engine.SynchronizationJobRestartCriteria().scopes == {"Watermark", "Escrows", "QuarantineState"}
    with pytest.raises(ValueError, match="Everything"):
        _ = engine.SynchronizationJobRestartCriteria(reset_scope="Everything").scopes


def test_job_with_status_round_trips() -> None:
    document = {
        "id": "scim.1",
        "templateId": "scim",
        "schedule": {"expiration": None, "interval": "PT40M", "state": "Active"},
        "status": {
            "code": "Active",
            "countSuccessiveCompleteFailures": 0,
            "escrowsPruned": False,
            "lastExecution": {"countExported": 3, "state": "Succeeded", "timeBegan": "0001-01-01T00:00:00Z"},
            "progress": [{"completedUnits": 1, "totalUnits": 2, "units": "objects"}],
            "quarantine": {"reason": "TooManyDeletes", "seriesCount": 1, "error": {"code": "x"}},
            "synchronizedEntryCountByType": [{"key": "User", "value": 3}],
        },
        "synchronizationJobSettings": [{"key": "k", "value": "v"}],
    }
    job = engine.SynchronizationJob.model_validate(document)
    assert job.status is not None and job.status.quarantine is not None
    assert job.status.quarantine.reason == "TooManyDeletes"
    assert dump_model(job) == document


# --- hypothesis: generated schemas dump and load back equal -------------------------------------------

_names = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=12)
_source = st.deferred(
    lambda: st.one_of(
        st.builds(lambda n: {"type": "Attribute", "name": n, "parameters": []}, _names),
        st.builds(lambda n: {"type": "Constant", "name": n}, st.text(max_size=8)),
        st.builds(
            lambda n, ps: {
                "type": "Function",
                "name": n,
                "parameters": [{"key": k, "value": v} for k, v in ps],
            },
            _names,
            st.lists(st.tuples(_names, _source), max_size=3),
        ),
    )
)
_attribute_mapping = st.fixed_dictionaries(
    {"targetAttributeName": _names},
    optional={
        "source": st.one_of(st.none(), _source),
        "defaultValue": st.one_of(st.none(), st.text(max_size=5)),
        "matchingPriority": st.integers(0, 5),
        "flowType": st.sampled_from([t.value for t in engine.FlowType]),
        "flowBehavior": st.sampled_from([b.value for b in engine.FlowBehavior]),
    },
)
_clause = st.fixed_dictionaries(
    {"sourceOperandName": _names, "operatorName": st.sampled_from(["EQUALS", "IS TRUE", "&"])},
    optional={"targetOperand": st.one_of(st.none(), st.fixed_dictionaries({"values": st.lists(st.text())}))},
)
_group = st.fixed_dictionaries({"name": _names, "clauses": st.lists(_clause, max_size=3)})
_object_mapping = st.fixed_dictionaries(
    {"attributeMappings": st.lists(_attribute_mapping, max_size=4)},
    optional={
        "name": st.one_of(st.none(), _names),
        "enabled": st.booleans(),
        "flowTypes": st.sampled_from(["Add, Update, Delete", "Add", "Update,Delete"]),
        "scope": st.one_of(st.none(), st.fixed_dictionaries({"groups": st.lists(_group, max_size=2)})),
        "sourceObjectName": _names,
        "targetObjectName": _names,
        "metadata": st.lists(
            st.fixed_dictionaries({"key": _names, "value": st.text(max_size=5)}), max_size=2
        ),
    },
)
_attribute = st.fixed_dictionaries(
    {"name": _names},
    optional={
        "type": st.sampled_from([t.value for t in engine.AttributeType]),
        "multivalued": st.booleans(),
        "anchor": st.booleans(),
        "required": st.booleans(),
        "extraField": st.integers(),
    },
)
_directory = st.fixed_dictionaries(
    {
        "name": _names,
        "objects": st.lists(
            st.fixed_dictionaries({"name": _names, "attributes": st.lists(_attribute, max_size=4)})
        ),
    }
)
_schema = st.fixed_dictionaries(
    {
        "directories": st.lists(_directory, max_size=2),
        "synchronizationRules": st.lists(
            st.fixed_dictionaries(
                {"objectMappings": st.lists(_object_mapping, max_size=2)},
                optional={"name": _names, "priority": st.integers(0, 9), "sourceDirectoryName": _names},
            ),
            max_size=2,
        ),
    },
    optional={"version": st.text(max_size=5), "id": _names},
)


@settings(max_examples=60, deadline=None)
@given(_schema)
def test_generated_schemas_dump_and_load_back_equal(document: dict[str, Any]) -> None:
    schema = engine.load_schema(document)
    dumped = engine.dump_schema(schema)
    assert dumped == document
    assert engine.load_schema(dumped) == schema


def test_restart_criteria_none_alone_means_the_portal_restart() -> None:
    assert engine.SynchronizationJobRestartCriteria(reset_scope="None").scopes == {
        "Watermark",
        "Escrows",
        "QuarantineState",
    }
    assert engine.SynchronizationJobRestartCriteria(reset_scope="None, Full").scopes == {"Full"}


def test_compiled_is_cached_and_does_not_change_equality_or_dumps() -> None:
    document = {"targetAttributeName": "x", "source": {"expression": 'Join(" ", [a], [b])'}}
    mapping = engine.AttributeMapping.model_validate(document)
    twin = mapping.model_copy(deep=True)
    compiled = mapping.compiled()
    assert compiled is not None and compiled is mapping.compiled()
    assert compiled.evaluate({"a": "x", "b": "y"}) == "x y"
    assert mapping == twin and dump_model(mapping) == document
    assert engine.AttributeMapping(target_attribute_name="y").compiled() is None


def test_metadata_json_decodes_json_held_in_metadata() -> None:
    schema = engine.load_schema(
        SAMPLES / "graphdocs-beta-2017_salesforce-SfOutDelta_template-with-schema.json"
    )
    defaults = schema.synchronization_rules[0].metadata_json("defaultSourceObjectMappings")
    assert defaults[0]["FlowTypes"] == 7 and defaults[0]["TargetObjectName"] == "User"
    mapping = ObjectMapping.model_validate(defaults[0] | {"flowTypes": defaults[0]["FlowTypes"]})
    assert mapping.flow_types == {"Add", "Update", "Delete"}
    assert schema.synchronization_rules[0].metadata_json("absent") is None
    broken = ObjectMapping.model_validate({"metadata": [{"key": "k", "value": "{not json"}]})
    with pytest.raises(ValueError, match="'k' does not hold JSON"):
        broken.metadata_json("k")
