"""Built-in templates, the functions / filterOperators catalogues, and `idsync templates`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

import engine
from engine.cli import main
from engine.templates import TEMPLATE_IDS

SAMPLES = Path(__file__).parent.parent / "samples"
SCIM_USER = "urn:ietf:params:scim:schemas:core:2.0:User"
SCIM_GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"


def test_list_templates_gives_the_built_ins_in_order() -> None:
    assert [t.id for t in engine.list_templates()] == ["scim", "ldap-to-scim", "csv-to-ldap", "api-inbound"]


def test_unknown_template_lists_known_ids() -> None:
    with pytest.raises(engine.UnknownTemplateError, match="scim, ldap-to-scim, csv-to-ldap"):
        engine.get_template("salesforce")


def test_get_template_returns_an_independent_copy() -> None:
    first = engine.get_template("scim")
    assert first.schema_ is not None
    first.schema_.directories.clear()
    again = engine.get_template("scim").schema_
    assert again is not None and len(again.directories) == 2


@pytest.mark.parametrize(
    ("template_id", "source", "target"),
    [
        ("scim", "Azure Active Directory", "SCIM App"),
        ("ldap-to-scim", "LDAP Directory", "SCIM App"),
        ("csv-to-ldap", "CSV Feed", "LDAP Directory"),
        ("api-inbound", "Inbound API", "Target Directory"),
    ],
)
def test_templates_bind_the_documented_directories(template_id: str, source: str, target: str) -> None:
    template = engine.get_template(template_id)
    assert template.schema_ is not None
    rule = template.schema_.synchronization_rules[0]
    assert (rule.source_directory_name, rule.target_directory_name) == (source, target)
    assert (
        template.description
        and f"'{source}'" in template.description
        and f"'{target}'" in template.description
    )
    for mapping in rule.object_mappings:
        assert template.schema_.object_definition(source, mapping.source_object_name) is not None
        assert template.schema_.object_definition(target, mapping.target_object_name) is not None


def scim_mappings() -> dict[str, dict[str, engine.AttributeMapping]]:
    schema = engine.get_template("scim").schema_
    assert schema is not None
    return {
        m.target_object_name or "": {a.target_attribute_name or "": a for a in m.attribute_mappings}
        for m in schema.synchronization_rules[0].object_mappings
    }


def test_scim_template_follows_entras_default_user_mapping() -> None:
    users = scim_mappings()[SCIM_USER]
    assert len(users) == 22
    assert users["userName"].matching_priority == 1
    assert [name for name, a in users.items() if a.matching_priority] == ["userName"]
    assert users["userName"].source is not None and users["userName"].source.name == "userPrincipalName"
    active = users["active"].source
    assert (
        active is not None
        and active.expression == 'Switch([IsSoftDeleted], , "False", "True", "True", "False")'
    )
    assert users['emails[type eq "work"].value'].source.name == "mail"  # type: ignore[union-attr]
    manager = users["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager"].source
    assert manager is not None and manager.name == "manager"
    schema = engine.get_template("scim").schema_
    assert schema is not None
    target_user = schema.object_definition("SCIM App", SCIM_USER)
    assert target_user is not None and target_user.metadata_flag("IsSoftDeletionSupported")


def test_scim_template_active_expression_evaluates_like_entra() -> None:
    compiled = scim_mappings()[SCIM_USER]["active"].compiled()
    assert compiled is not None
    assert str(compiled.evaluate({"IsSoftDeleted": True})) == "False"
    assert str(compiled.evaluate({"IsSoftDeleted": False})) == "True"


def test_scim_template_groups() -> None:
    groups = scim_mappings()[SCIM_GROUP]
    assert set(groups) == {"displayName", "externalId", "members"}
    assert groups["displayName"].matching_priority == 1
    schema = engine.get_template("scim").schema_
    assert schema is not None
    members = schema.object_definition("SCIM App", SCIM_GROUP).attribute("members")  # type: ignore[union-attr]
    assert members is not None and members.multivalued and members.type is engine.AttributeType.REFERENCE


def test_csv_to_ldap_terminates_through_scope() -> None:
    schema = engine.get_template("csv-to-ldap").schema_
    assert schema is not None
    mapping = schema.synchronization_rules[0].object_mappings[0]
    assert engine.evaluate_scope(mapping.scope, {"status": "Active"})
    assert not engine.evaluate_scope(mapping.scope, {"status": "Terminated"})
    uid = next(a for a in mapping.attribute_mappings if a.target_attribute_name == "uid")
    assert uid.flow_type is engine.FlowType.OBJECT_ADD_ONLY
    assert str(uid.compiled().evaluate({"firstName": "Zoë", "lastName": "Ång"})) == "zoe.ang"  # type: ignore[union-attr]


@pytest.mark.parametrize("template_id", TEMPLATE_IDS)
def test_template_round_trips(template_id: str) -> None:
    raw = json.loads((Path(engine.templates.__file__).parent / f"{template_id}.json").read_text())
    assert engine.schema.dump_model(engine.get_template(template_id)) == raw
    assert engine.dump_schema(engine.load_schema(raw)) == raw["schema"]


def test_filter_operators_catalog_shape() -> None:
    catalog = engine.filter_operators_catalog()
    names = [entry["name"] for entry in catalog["value"]]
    assert {
        "EQUALS",
        "NOT EQUALS",
        "IS TRUE",
        "IS FALSE",
        "IS NULL",
        "IS NOT NULL",
        "REGEX MATCH",
        "NOT REGEX MATCH",
        "Greater_Than",
        "Greater_Than_OR_EQUALS",
        "Includes",
        "ENDS_WITH",
        "&",
        "!&",
    } == set(names)
    reference = json.loads((SAMPLES / "graphdocs-beta-2017_filterOperators_full-response.json").read_text())
    ours = {e["name"]: e for e in catalog["value"]}
    for entry in reference["value"]:  # every operator Graph listed in 2017 is listed the same way
        assert ours[entry["name"]] == entry


def test_functions_catalog_shape() -> None:
    catalog = engine.functions_catalog()
    by_name = {entry["name"]: entry for entry in catalog["value"]}
    for name in ("Append", "Join", "Switch", "IIF", "SelectUniqueValue", "Not", "Replace"):
        assert name in by_name
    for entry in catalog["value"]:
        assert set(entry) == {"name", "parameters"}
        for parameter in entry["parameters"]:
            assert set(parameter) == {"name", "type", "required", "allowMultipleOccurrences"}
    join = by_name["Join"]["parameters"]
    assert any(p["allowMultipleOccurrences"] for p in join)


def test_cli_templates_list_and_show() -> None:
    runner = CliRunner()
    listed = runner.invoke(main, ["templates", "list"])
    text = " ".join(listed.output.split())
    assert listed.exit_code == 0 and "ldap-to-scim" in text and "'CSV Feed'" in text
    as_json = runner.invoke(main, ["templates", "list", "--json"])
    assert [t["id"] for t in json.loads(as_json.output)["value"]] == list(TEMPLATE_IDS)
    shown = runner.invoke(main, ["templates", "show", "scim"])
    assert shown.exit_code == 0
    assert json.loads(shown.output)["schema"]["directories"][1]["name"] == "SCIM App"
    unknown = runner.invoke(main, ["templates", "show", "nope"])
    assert unknown.exit_code == 2 and "known templates: scim" in unknown.output
