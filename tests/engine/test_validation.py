"""`engine.validate` / `idsync validate`: real documents are clean, corrupted copies give exactly the
expected finding at the expected path, malformed input gives line and column, job files are checked."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import engine
from engine.cli import main
from engine.schema import read_text
from engine.templates import TEMPLATE_IDS

SAMPLES = Path(__file__).parent.parent / "samples"
TEMPLATES = Path(engine.templates.__file__).parent
DOCUMENTS = [
    *sorted(
        SAMPLES / p.name for p in SAMPLES.glob("*.json") if "cloudsync" in p.name or "cross-tenant" in p.name
    ),
    SAMPLES / "graphdocs-beta-2017_salesforce-SfOutDelta_template-with-schema.json",
    *(TEMPLATES / f"{t}.json" for t in TEMPLATE_IDS),
]


def errors(findings: list[engine.Finding]) -> list[engine.Finding]:
    return [f for f in findings if f.severity == "error"]


@pytest.mark.parametrize("path", DOCUMENTS, ids=lambda p: p.name[:60])
def test_real_documents_and_templates_have_no_errors(path: Path) -> None:
    assert errors(engine.validate(path)) == []


# --- corrupted copies -----------------------------------------------------------------------------------


def schema_part(document: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """The schema inside the document, and the path prefix of its findings."""
    return (document["schema"], "schema.") if "schema" in document else (document, "")


def first_enabled(schema: dict[str, Any]) -> tuple[int, int, dict[str, Any]]:
    for i, rule in enumerate(schema["synchronizationRules"]):
        for j, mapping in enumerate(rule["objectMappings"]):
            if mapping["enabled"]:
                return i, j, mapping
    raise AssertionError("no enabled object mapping")


def wrong_directory(schema: dict[str, Any]) -> str:
    schema["synchronizationRules"][0]["sourceDirectoryName"] = "No Such Directory"
    return "synchronizationRules[0].sourceDirectoryName"


def unknown_attribute(schema: dict[str, Any]) -> str:
    i, j, mapping = first_enabled(schema)
    k, item = next(
        (k, m)
        for k, m in enumerate(mapping["attributeMappings"])
        if (m["source"] or {}).get("type") == "Attribute"
    )
    name = item["source"]["name"] + "Zq"
    item["source"] = {"expression": f"[{name}]", "name": name, "parameters": [], "type": "Attribute"}
    return f"synchronizationRules[{i}].objectMappings[{j}].attributeMappings[{k}].source"


def bad_expression(schema: dict[str, Any]) -> str:
    i, j, mapping = first_enabled(schema)
    k = next(k for k, m in enumerate(mapping["attributeMappings"]) if m["matchingPriority"] == 0)
    mapping["attributeMappings"][k]["source"] = {"expression": 'Jion(" ", "a", "b")'}
    return f"synchronizationRules[{i}].objectMappings[{j}].attributeMappings[{k}].source"


def unknown_operator(schema: dict[str, Any]) -> str:
    i, j, mapping = first_enabled(schema)
    attribute = next(
        m["source"]["name"]
        for m in mapping["attributeMappings"]
        if (m["source"] or {}).get("type") == "Attribute"
    )
    clause = {
        "sourceOperandName": attribute,
        "operatorName": "STARTS_WITH",
        "targetOperand": {"values": ["x"]},
    }
    scope = mapping.get("scope") or {}
    mapping["scope"] = {**scope, "groups": [{"name": "broken", "clauses": [clause]}]}
    return f"synchronizationRules[{i}].objectMappings[{j}].scope.groups[0].clauses[0].operatorName"


def duplicate_priority(schema: dict[str, Any]) -> str:
    i, j, mapping = first_enabled(schema)
    items = mapping["attributeMappings"]
    first = next(k for k, m in enumerate(items) if m["matchingPriority"] == 1)
    k = next(k for k, m in enumerate(items) if m["matchingPriority"] == 0 and m["source"])
    items[k]["matchingPriority"] = 1
    # the later of the two mappings sharing a priority is the one reported
    return (
        f"synchronizationRules[{i}].objectMappings[{j}].attributeMappings[{max(k, first)}].matchingPriority"
    )


CORRUPTIONS: dict[str, Callable[[dict[str, Any]], str]] = {
    "wrong directory name": wrong_directory,
    "unknown attribute": unknown_attribute,
    "bad expression": bad_expression,
    "unknown operator": unknown_operator,
    "duplicate priority": duplicate_priority,
}


@pytest.mark.parametrize("corruption", CORRUPTIONS)
@pytest.mark.parametrize("path", DOCUMENTS, ids=lambda p: p.name[:60])
def test_corrupted_copy_gives_exactly_the_expected_finding(path: Path, corruption: str) -> None:
    document = json.loads(read_text(path))
    corrupted = copy.deepcopy(document)
    schema, prefix = schema_part(corrupted)
    expected = prefix + CORRUPTIONS[corruption](schema)
    found = errors(engine.validate(corrupted, file="copy.json"))
    assert [f.path for f in found] == [expected]
    assert found[0].file == "copy.json"


def test_unknown_attribute_suggests_the_right_name_with_a_caret() -> None:
    schema = json.loads(read_text(TEMPLATES / "scim.json"))["schema"]
    schema["synchronizationRules"][0]["objectMappings"][0]["attributeMappings"][2]["source"] = {
        "expression": 'Join(" ", [displayNam], [surname])'
    }
    (finding,) = errors(engine.validate(schema))
    assert finding.suggestion == "displayName"
    assert finding.column == 11
    assert finding.caret == 'Join(" ", [displayNam], [surname])\n          ^'
    assert "[displayNam]" in finding.message and "'Azure Active Directory'" not in finding.message


def test_bad_expression_carries_column_caret_and_suggestion() -> None:
    schema = json.loads(read_text(TEMPLATES / "scim.json"))["schema"]
    schema["synchronizationRules"][0]["objectMappings"][0]["attributeMappings"][2]["source"] = {
        "expression": 'Jion(" ", [givenName])'
    }
    (finding,) = errors(engine.validate(schema))
    assert finding.column == 1 and finding.caret is not None and finding.caret.endswith("\n^")
    assert finding.suggestion == "Join"


def test_findings_in_files_have_line_and_column(tmp_path: Path) -> None:
    document = json.loads(read_text(TEMPLATES / "csv-to-ldap.json"))
    document["schema"]["synchronizationRules"][0]["targetDirectoryName"] = "LDAP Directry"
    path = tmp_path / "t.json"
    path.write_text(json.dumps(document, indent=2))
    (finding,) = errors(engine.validate(path))
    assert finding.path == "schema.synchronizationRules[0].targetDirectoryName"
    assert finding.suggestion == "LDAP Directory"
    line = path.read_text().splitlines()[(finding.line or 0) - 1]
    assert line[(finding.column or 0) - 1 :].startswith('"LDAP Directry"')
    assert finding.file == str(path)
    assert finding.caret is not None and finding.caret.splitlines()[1].endswith("^")


@pytest.mark.parametrize(
    ("change", "path", "message"),
    [
        (
            lambda m: m["attributeMappings"].append(dict(m["attributeMappings"][1])),
            "attributeMappings[22].targetAttributeName",
            "already mapped",
        ),
        (
            lambda m: m["attributeMappings"][1].update(targetAttributeName="activ"),
            "attributeMappings[1].targetAttributeName",
            "no attribute 'activ'",
        ),
        (lambda m: m.update(sourceObjectName="Usr"), "sourceObjectName", "no object 'Usr'"),
        (lambda m: m["attributeMappings"][0].update(matchingPriority=0), "", "no matching attribute"),
        (
            lambda m: m["attributeMappings"][0].update(
                source={"expression": "SelectUniqueValue([mail], [mailNickname])"}
            ),
            "attributeMappings[0].source",
            "SelectUniqueValue",
        ),
        (
            lambda m: m.update(
                scope={
                    "groups": [{"clauses": [{"sourceOperandName": "department", "operatorName": "EQUALS"}]}]
                }
            ),
            "scope.groups[0].clauses[0].targetOperand",
            "needs a value",
        ),
        (
            lambda m: m.update(
                scope={
                    "groups": [
                        {
                            "clauses": [
                                {
                                    "sourceOperandName": "accountEnabled",
                                    "operatorName": "Greater_Than",
                                    "targetOperand": {"values": ["1"]},
                                }
                            ]
                        }
                    ]
                }
            ),
            "scope.groups[0].clauses[0].sourceOperandName",
            "Integer attributes",
        ),
        (
            lambda m: m.update(
                scope={
                    "groups": [{"clauses": [{"sourceOperandName": "departmnt", "operatorName": "IS NULL"}]}]
                }
            ),
            "scope.groups[0].clauses[0].sourceOperandName",
            "no attribute 'departmnt'",
        ),
        (
            lambda m: m.update(
                scope={
                    "groups": [
                        {
                            "clauses": [
                                {
                                    "sourceOperandName": "department",
                                    "operatorName": "REGEX MATCH",
                                    "targetOperand": {"values": ["(a"]},
                                }
                            ]
                        }
                    ]
                }
            ),
            "scope.groups[0].clauses[0].targetOperand",
            "invalid regular expression",
        ),
    ],
)
def test_other_checks(change: Callable[[dict[str, Any]], None], path: str, message: str) -> None:
    schema = json.loads(read_text(TEMPLATES / "scim.json"))["schema"]
    change(schema["synchronizationRules"][0]["objectMappings"][0])
    found = errors(engine.validate(schema))
    base = "synchronizationRules[0].objectMappings[0]"
    assert [f.path for f in found] == [f"{base}.{path}" if path else base]
    assert message in found[0].message


def test_warnings_placeholders_unsupported_functions_required_attributes() -> None:
    cloud = engine.validate(
        SAMPLES / "MS-LUF_Use-AzureAD_cloudsync-AD2AADProvisioning-job-schema-sample2.json"
    )
    assert any("%DomainFQDN%" in f.message and f.severity == "warning" for f in cloud)
    cross = engine.validate(
        SAMPLES / "terraprovider_terraform-provider-microsoft365wp_cross-tenant-sync-Azure2Azure-schema.json"
    )
    assert not [f.message for f in cross if "not supported locally" in f.message]  # decision 13
    salesforce = engine.validate(
        SAMPLES / "graphdocs-beta-2017_salesforce-SfOutDelta_template-with-schema.json"
    )
    assert any("'ProfileId'" in f.message and f.severity == "warning" for f in salesforce)


# --- malformed input --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "text", "line", "column"),
    [
        ("bad.json", '{\n  "directories": [\n    {"name": "x",}\n  ]\n}\n', 3, 18),
        ("bad.yaml", "id: j\ndirectories:\n  a: [1, 2\nschema: s.json\n", 4, 7),
        ("trunc.json", '{"directories": [', 1, 18),
    ],
)
def test_malformed_files_give_line_and_column(
    tmp_path: Path, name: str, text: str, line: int, column: int
) -> None:
    path = tmp_path / name
    path.write_text(text)
    (finding,) = engine.validate(path)
    assert finding.severity == "error" and (finding.line, finding.column) == (line, column)
    assert finding.file == str(path)


def test_wrong_types_are_findings_with_paths(tmp_path: Path) -> None:
    path = tmp_path / "types.json"
    path.write_text(
        '{"directories": [{"name": "A", "objects": [{"name": "U", "attributes": '
        '[{"name": "x", "multivalued": "often"}]}]}],\n "synchronizationRules": "none"}'
    )
    found = engine.validate(path)
    assert {f.path for f in found} == {
        "directories[0].objects[0].attributes[0].multivalued",
        "synchronizationRules",
    }
    assert all(f.line is not None and f.severity == "error" for f in found)


def test_not_a_schema() -> None:
    (finding,) = engine.validate(SAMPLES / "graphdocs-beta-2017_functions_full-response.json")
    assert "not a synchronizationSchema" in finding.message


# --- job files ------------------------------------------------------------------------------------------


def write_job(tmp_path: Path, body: str) -> Path:
    """The job file, beside the source files its tests' json bindings read (a missing one is an error)."""
    for source in ("s.json", "l.json"):
        if not (tmp_path / source).exists():
            (tmp_path / source).write_text("{}")
    path = tmp_path / "job.yaml"
    path.write_text(body)
    return path


def test_job_with_template_and_all_directories_bound_is_valid(tmp_path: Path) -> None:
    path = write_job(
        tmp_path,
        "id: demo\ntemplate: scim\ndirectories:\n"
        "  Azure Active Directory: {connector: json, path: s.json}\n"
        "  SCIM App: {connector: json, path: t.json}\n",
    )
    assert engine.validate(path) == []


def test_job_with_an_unbound_directory(tmp_path: Path) -> None:
    path = write_job(
        tmp_path,
        "id: demo\ntemplate: scim\ndirectories:\n"
        "  Azure Active Directory: {connector: json}\n  SCIM Ap: {connector: json}\n",
    )
    found = errors(engine.validate(path))
    assert [f.path for f in found] == ["directories"]
    assert "'SCIM App'" in found[0].message and found[0].suggestion == "SCIM Ap" and found[0].line == 3


def test_job_with_a_relative_schema_file(tmp_path: Path) -> None:
    (tmp_path / "schemas").mkdir()
    schema = json.loads(read_text(TEMPLATES / "ldap-to-scim.json"))["schema"]
    schema["synchronizationRules"][0]["objectMappings"][0]["attributeMappings"][0]["matchingPriority"] = 2
    (tmp_path / "schemas" / "s.json").write_text(json.dumps(schema, indent=1))
    path = write_job(
        tmp_path,
        "id: demo\nschema: schemas/s.json\ndirectories:\n"
        "  LDAP Directory: {connector: json, path: l.json}\n  SCIM App: {connector: json, path: t.json}\n",
    )
    assert errors(engine.validate(path)) == []
    schema["synchronizationRules"][0]["sourceDirectoryName"] = "LDAP"
    (tmp_path / "schemas" / "s.json").write_text(json.dumps(schema, indent=1))
    (finding,) = errors(engine.validate(path))
    assert finding.file == str(tmp_path / "schemas" / "s.json")
    assert finding.path == "synchronizationRules[0].sourceDirectoryName"


def test_job_problems(tmp_path: Path) -> None:
    missing = write_job(tmp_path, "id: demo\nschema: nope.json\ndirectories: {}\n")
    assert [f.path for f in engine.validate(missing)] == ["schema"]
    unknown = write_job(tmp_path, "id: demo\ntemplate: scm\ndirectories: {}\n")
    (finding,) = engine.validate(unknown)
    assert finding.path == "template" and finding.suggestion == "scim" and finding.line == 2
    both = write_job(tmp_path, "id: demo\ntemplate: scim\nschema: s.json\ndirectories: {}\n")
    assert "exactly one" in engine.validate(both)[0].message


def test_job_state_mapping(tmp_path: Path) -> None:
    head = "id: demo\ntemplate: scim\ndirectories:\n"
    head += "  Azure Active Directory: {connector: json, path: s.json}\n"
    head += "  SCIM App: {connector: json, path: t.json}\n"
    for good in ("state: sqlite:///s.db\n", "state: {url: sqlite:///s.db, parallelReads: off}\n"):
        assert engine.validate(write_job(tmp_path, head + good)) == []
    (finding,) = engine.validate(write_job(tmp_path, head + "state:\n  parallelReads: aut\n"))
    assert finding.path == "state.parallelReads" and finding.line == 7 and finding.column is not None
    assert "auto, on, off" in finding.message and finding.suggestion == "auto"
    typo = "state: {url: sqlite:///s.db, parallelRead: on}\n"
    (finding,) = engine.validate(write_job(tmp_path, head + typo))
    assert finding.path == "state.parallelRead" and finding.suggestion == "parallelReads"
    (finding,) = engine.validate(write_job(tmp_path, head + "state: [sqlite:///s.db]\n"))
    assert finding.path == "state" and "parallelReads: auto|on|off" in finding.message


def test_job_placeholders_silence_the_warning(tmp_path: Path) -> None:
    sample = SAMPLES / "MS-LUF_Use-AzureAD_cloudsync-AD2AADProvisioning-job-schema-sample2.json"
    (tmp_path / "s.json").write_text(read_text(sample))
    bound = (
        "directories:\n  Active Directory: {connector: ldap}\n  Azure Active Directory: {connector: json}\n"
    )
    plain = write_job(tmp_path, "id: demo\nschema: s.json\n" + bound)
    assert any("%DomainFQDN%" in f.message for f in engine.validate(plain))
    filled = write_job(
        tmp_path,
        "id: demo\nschema: s.json\nsettings:\n  placeholders: {DomainFQDN: c.com, DomainNetBios: C}\n"
        + bound,
    )
    assert not any("placeholder" in f.message for f in engine.validate(filled))


# --- the command ----------------------------------------------------------------------------------------


def test_cli_exit_codes_and_json(tmp_path: Path) -> None:
    runner = CliRunner()
    ok = runner.invoke(
        main,
        ["validate", str(SAMPLES / "graphdocs-beta-2017_salesforce-SfOutDelta_template-with-schema.json")],
    )
    assert ok.exit_code == 0 and "ProfileId" in ok.output and "valid" in ok.output
    schema = json.loads(read_text(TEMPLATES / "scim.json"))
    schema["schema"]["synchronizationRules"][0]["sourceDirectoryName"] = "AAD"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(schema, indent=2))
    invalid = runner.invoke(main, ["validate", str(bad)])
    assert invalid.exit_code == 1 and "schema.synchronizationRules[0].sourceDirectoryName" in invalid.output
    as_json = runner.invoke(main, ["validate", "--json", str(bad)])
    report = json.loads(as_json.stdout)
    assert as_json.exit_code == 1 and report["valid"] is False and report["errors"] == 1
    assert report["findings"][0]["path"] == "schema.synchronizationRules[0].sourceDirectoryName"
    assert set(report["findings"][0]) == {
        "severity",
        "path",
        "message",
        "file",
        "line",
        "column",
        "caret",
        "suggestion",
    }
    malformed = tmp_path / "m.json"
    malformed.write_text("{")
    assert runner.invoke(main, ["validate", str(malformed)]).exit_code == 1
    assert runner.invoke(main, ["validate", str(tmp_path / "missing.json")]).exit_code == 2
    assert runner.invoke(main, ["validate"]).exit_code == 2


def test_job_without_schema_or_template() -> None:
    (finding,) = engine.validate({"id": "x", "directories": {"A": {"connector": "json"}}}, file="job.yaml")
    assert "exactly one of 'schema'" in finding.message and finding.file == "job.yaml"


def test_wrong_flow_types_give_one_clear_finding() -> None:
    (finding,) = engine.validate({"synchronizationRules": [{"objectMappings": [{"flowTypes": ["Add"]}]}]})
    assert finding.path == "synchronizationRules[0].objectMappings[0].flowTypes"
    assert "flowTypes must be a string like 'Add, Update, Delete'" in finding.message


def test_finding_format() -> None:
    located = engine.Finding("error", "a.b", "bad", "f.json", 3, 7, "x\n^", "c")
    assert located.format() == "f.json:3:7: error: a.b: bad\n    x\n    ^\n    did you mean 'c'?"
    assert engine.Finding("warning", "", "m", None, None, 4).format() == "<document>: warning: <document>: m"


# --- robustness: any damage to a document gives findings, never an exception -----------------------------

_json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 5) | st.text(max_size=6),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=6,
)


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else []
    for key, child in items:
        found.extend(_paths(child, (*prefix, key)))
    return found


_SCIM = json.loads(read_text(TEMPLATES / "scim.json"))["schema"]
_SCIM_PATHS = [p for p in _paths(_SCIM) if p]


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(where=st.sampled_from(_SCIM_PATHS), value=_json_values)
def test_damaged_documents_give_findings_not_exceptions(where: tuple[Any, ...], value: Any) -> None:
    damaged = copy.deepcopy(_SCIM)
    parent = damaged
    for key in where[:-1]:
        parent = parent[key]
    parent[where[-1]] = value
    findings = engine.validate(damaged)
    assert all(isinstance(f, engine.Finding) and f.severity in ("error", "warning") for f in findings)
