"""Nothing in a real schema is silently ignored (DESIGN decision 17): every metadata key and every property
of the five real schemas in tests/samples is executed (a test names it), reported by ``idsync validate``
by JSON path, or purely descriptive (the validation module's table says why); and hand-written sources
(decision 18)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import engine
from engine.schema import load_schema
from engine.validation._construct_checks import DESCRIPTIVE, EXECUTED, REPORTED

SAMPLES = Path(__file__).parents[1] / "samples"
REAL_SCHEMAS = [
    "IdentityUnoffical_terraform-msgraph-entra-cloud-sync-config_cloudsync-AD2AADProvisioning-schema-2025.json",
    "MS-LUF_Use-AzureAD_cloudsync-AD2AADProvisioning-job-schema-sample1.json",
    "MS-LUF_Use-AzureAD_cloudsync-AD2AADProvisioning-job-schema-sample2.json",
    "graphdocs-beta-2017_salesforce-SfOutDelta_template-with-schema.json",
    "terraprovider_terraform-provider-microsoft365wp_cross-tenant-sync-Azure2Azure-schema.json",
]
FIDELITY = "tests/engine/run/test_real_schema_fidelity.py"
GENERATED = f"{FIDELITY}::test_cloud_sync_schema_on_a_generated_directory_with_a_round_of_changes"
SALESFORCE = f"{FIDELITY}::test_salesforce_users_are_deactivated_and_reactivated_never_deleted"
CROSS = f"{FIDELITY}::test_cross_tenant_members_are_provisioned_and_matched_guests_skipped"
STEPS = "tests/engine/plan/test_steps.py"

EXECUTED_PROPERTIES = {
    # property -> the test that shows it executed
    "anchor": f"{FIDELITY}::test_cloud_sync_two_anchors_invents_no_value",
    "attributeMappings": GENERATED,
    "attributes": GENERATED,
    "objects": GENERATED,
    "directories": GENERATED,
    "synchronizationRules": SALESFORCE,
    "objectMappings": SALESFORCE,
    "name": SALESFORCE,
    "sourceDirectoryName": SALESFORCE,
    "targetDirectoryName": SALESFORCE,
    "sourceObjectName": SALESFORCE,
    "targetObjectName": SALESFORCE,
    "targetAttributeName": SALESFORCE,
    "source": SALESFORCE,
    "expression": "tests/engine/test_schema_constructs.py::test_hand_written_source_compiles_from_its_text",
    "parameters": "tests/engine/test_schema_constructs.py::test_structured_form_wins_and_validate_warns",
    "key": "tests/engine/test_schema_constructs.py::test_structured_form_wins_and_validate_warns",
    "value": "tests/engine/test_schema_constructs.py::test_structured_form_wins_and_validate_warns",
    "type": "tests/engine/test_schema_constructs.py::test_hand_written_source_compiles_from_its_text",
    "enabled": SALESFORCE,
    "caseExact": f"{STEPS}::test_same_honours_case_exact_and_multiset_order",
    "defaultValue": f"{STEPS}::test_create_uses_defaults_and_add_only_values",
    "flowNullValues": f"{STEPS}::test_null_flow_clears_a_multi_valued_attribute_but_never_an_add_only_one",
    "flowType": f"{STEPS}::test_attribute_flow_types",
    "flowBehavior": f"{STEPS}::test_attribute_flow_types",
    "flowTypes": f"{STEPS}::test_flow_types_without_add_or_update",
    "matchingPriority": f"{STEPS}::test_matching_tries_priorities_and_reports_conflicts",
    "multivalued": f"{STEPS}::test_null_flow_clears_a_multi_valued_attribute_but_never_an_add_only_one",
    "required": SALESFORCE,
    "referencedObjects": GENERATED,
    "referencedObjectName": GENERATED,
    "scope": CROSS,
    "inputFilterGroups": CROSS,
    "categoryFilterGroups": "tests/engine/test_scoping.py",
    "groups": "tests/engine/test_scoping.py",
    "clauses": CROSS,
    "operatorName": CROSS,
    "sourceOperandName": CROSS,
    "targetOperand": CROSS,
    "values": CROSS,
    "priority": "tests/engine/run/test_real_schemas.py::test_cloud_sync_schema_provisions_users_then_groups",
    "containerFilter": f"{FIDELITY}::test_cloud_sync_container_filter_is_honoured",
    "groupFilter": f"{FIDELITY}::test_cloud_sync_group_filter_is_honoured",
    "metadata": "tests/engine/test_schema_constructs.py::test_every_metadata_key_is_executed_or_reported",
}
REPORTED_PROPERTIES = {
    # property -> what validate says when its value asks for something the engine does not do
    "exportMissingReferences": "exportMissingReferences is not executed",
    "mutability": "is ReadOnly: the engine does not enforce it",
    "apiExpressions": "apiExpressions (Workday XPath / SuccessFactors JSONPath) are not executed",
}
DESCRIPTIVE_PROPERTIES = {
    # property -> why there is nothing to execute
    "@odata.context": "an OData response annotation",
    "schema@odata.context": "an OData response annotation",
    "directories@odata.context": "an OData response annotation",
    "id": "an identifier (kept; rules are keyed by it in the state)",
    "version": "the document's version stamp",
    "provisioningTaskIdentifier": "Graph's internal task id",
    "schema": "the template's wrapper of the schema (read)",
    "default": "whether a template is the application's default",
    "description": "a template's description",
    "discoverable": "whether a template is listed",
    "factoryTag": "the template's factory tag",
    "discoverabilities": "what Graph's directory discovery can do",
    "discoveryDateTime": "when Graph last discovered the directory",
    "readOnly": "whether the directory definition may be edited (not whether it may be written)",
    "editable": "whether the rule may be edited in the portal",
    "supportedApis": "which Graph APIs serve the object type",
    "referencedProperty": "the property of the referenced object a reference holds; references hold ids",
}


def _walk(node: Any, found: set[str], keys: set[str], in_metadata: bool = False) -> None:
    if isinstance(node, dict):
        if in_metadata and "key" in node:
            keys.add(str(node["key"]))
            return
        for name, value in node.items():
            found.add(name)
            _walk(value, found, keys, name == "metadata")
    elif isinstance(node, list):
        for item in node:
            _walk(item, found, keys, in_metadata)


def _constructs() -> tuple[set[str], set[str]]:
    properties: set[str] = set()
    keys: set[str] = set()
    for name in REAL_SCHEMAS:
        _walk(json.loads((SAMPLES / name).read_text(encoding="utf-8")), properties, keys)
    return properties, keys


def test_every_property_is_executed_reported_or_descriptive() -> None:
    properties, _ = _constructs()
    accounted = set(EXECUTED_PROPERTIES) | set(REPORTED_PROPERTIES) | set(DESCRIPTIVE_PROPERTIES)
    assert properties - accounted == set()
    for where in EXECUTED_PROPERTIES.values():  # each named test exists
        file, _, test = where.partition("::")
        text = (Path(__file__).parents[2] / file).read_text(encoding="utf-8")
        assert not test or f"def {test}(" in text, where


def test_every_metadata_key_is_executed_or_reported() -> None:
    _, keys = _constructs()
    known = set(EXECUTED) | set(DESCRIPTIVE) | set(REPORTED)
    assert {k.lower() for k in keys} - known == set()
    # The reported attribute keys are reported where an enabled mapping uses the attribute:
    salesforce = engine.validate(SAMPLES / REAL_SCHEMAS[3])
    assert [f.path for f in salesforce if "ComplexObjectDefinition" in f.message] == [
        "schema.directories[0].objects[0].attributes[12].metadata[0]",  # User.appRoleAssignments
        "schema.directories[0].objects[4].attributes[3].metadata[0]",
        "schema.directories[1].objects[4].attributes[2].metadata[0]",
    ]


def test_validate_reports_values_and_constructs_the_engine_does_not_execute() -> None:
    schema = json.loads((SAMPLES / REAL_SCHEMAS[1]).read_text(encoding="utf-8"))
    rule = schema["synchronizationRules"][0]
    mapping = rule["objectMappings"][0]
    mapping["metadata"].append({"key": "Disposition", "value": '"Discard"'})
    mapping["metadata"].append({"key": "SomethingNew", "value": "1"})
    mapping["attributeMappings"][1]["exportMissingReferences"] = True
    found = {f.path: f.message for f in engine.validate(schema) if f.severity == "warning"}
    base = "synchronizationRules[0].objectMappings[0]"
    n = len(mapping["metadata"])
    assert "Disposition='discard' is not executed" in found[f"{base}.metadata[{n - 2}]"]
    assert "not known to the engine" in found[f"{base}.metadata[{n - 1}]"]
    assert (
        "exportMissingReferences is not executed"
        in found[f"{base}.attributeMappings[1].exportMissingReferences"]
    )


def test_validate_reports_the_synthetic_is_soft_deleted_of_cross_tenant_sync() -> None:
    found = [f for f in engine.validate(SAMPLES / REAL_SCHEMAS[4]) if "IsSynthetic" in f.message]
    assert [f.path for f in found] == [
        "synchronizationRules[0].objectMappings[0].attributeMappings[0].targetAttributeName"
    ]
    assert "switch that soft-deletes the target object" in found[0].message
    assert "an update of its accountEnabled" in found[0].message


def _schema_with_source(source: dict[str, Any]) -> dict[str, Any]:
    schema = json.loads((SAMPLES / REAL_SCHEMAS[4]).read_text(encoding="utf-8"))
    users = schema["synchronizationRules"][0]["objectMappings"][0]
    users["attributeMappings"][2]["source"] = source  # accountEnabled <- [accountEnabled]
    return schema


def test_hand_written_source_compiles_from_its_text() -> None:
    schema = load_schema(_schema_with_source({"type": "Function", "expression": "Not([accountEnabled])"}))
    mapping = schema.synchronization_rules[0].object_mappings[0].attribute_mappings[2]
    compiled = mapping.compiled()
    assert compiled is not None and compiled.evaluate({"accountEnabled": "True"}) is False
    attribute = load_schema(_schema_with_source({"type": "Attribute", "expression": "[city]"}))
    compiled = attribute.synchronization_rules[0].object_mappings[0].attribute_mappings[2].compiled()
    assert compiled is not None and compiled.evaluate({"city": "Zürich"}) == "Zürich"


def test_structured_form_wins_and_validate_warns() -> None:
    source = {
        "type": "Function",
        "name": "Not",
        "expression": "[accountEnabled]",  # disagrees with the structured form
        "parameters": [{"key": "source", "value": {"type": "Attribute", "name": "accountEnabled"}}],
    }
    document = _schema_with_source(source)
    mapping = load_schema(document).synchronization_rules[0].object_mappings[0].attribute_mappings[2]
    compiled = mapping.compiled()
    assert compiled is not None and compiled.text == "Not([accountEnabled])"
    found = [f for f in engine.validate(document) if "does not match the structured form" in f.message]
    assert [f.path for f in found] == [
        "synchronizationRules[0].objectMappings[0].attributeMappings[2].source.expression"
    ]


@pytest.mark.parametrize("name", REAL_SCHEMAS)
def test_real_schemas_report_nothing_as_unknown(name: str) -> None:
    assert not [f for f in engine.validate(SAMPLES / name) if "not known to the engine" in f.message]
