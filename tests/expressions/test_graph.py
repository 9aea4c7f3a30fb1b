"""Graph ``attributeMappingSource`` JSON: every source in the real documents of tests/samples, decision 11
(IIF's five positional parameters), decision 12 (placeholders), lenient reading, errors with JSON paths."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import expressions

SAMPLES = sorted((Path(__file__).parent.parent / "samples").glob("*.json"))


def _sources(document: Any) -> Iterator[dict[str, Any]]:
    if isinstance(document, dict):
        for mapping in document.get("attributeMappings") or []:
            if mapping.get("source"):
                yield mapping["source"]
        for value in document.values():
            yield from _sources(value)
    elif isinstance(document, list):
        for value in document:
            yield from _sources(value)


def _load(path: Path) -> list[dict[str, Any]]:
    return list(_sources(json.loads(path.read_text(encoding="utf-8-sig"))))


ALL_SOURCES = [source for path in SAMPLES for source in _load(path)]


def test_the_samples_hold_many_sources() -> None:
    assert len(ALL_SOURCES) > 700


@pytest.mark.parametrize("path", SAMPLES, ids=[p.name[:60] for p in SAMPLES])
def test_every_real_source_compiles_from_graph_and_from_its_text(path: Path) -> None:
    for source in _load(path):
        compiled = expressions.from_graph(source)
        if source.get("expression") is None:
            continue
        from_text = expressions.compile(source["expression"])
        if from_text.to_graph() == source:
            continue
        # The 2020 PowerShell exports write `Join("@", [sAMAccountName], )` while the parameters still hold
        # the %DomainFQDN% placeholder: the text lost it, nothing else differs.
        assert re.sub(r"%\w+%", "", compiled.text) == from_text.text, source["expression"]


def test_text_reproduces_graph_json_exactly_for_the_modern_export() -> None:
    path = next(p for p in SAMPLES if "2025" in p.name)
    sources = [s for s in _load(path) if s.get("type") == "Function"]
    assert sources
    for source in sources:
        assert expressions.compile(source["expression"]).to_graph() == source


def test_iif_with_a_comparison_has_five_positional_parameters() -> None:
    graph = expressions.compile('IIF(BitAnd([userAccountControl], 2)="0", "True", "False")').to_graph()
    assert [p["key"] for p in graph["parameters"]] == ["one", "two", "three", "four", "five"]
    assert graph["parameters"][1]["value"] == {
        "expression": '"="',
        "name": "=",
        "parameters": [],
        "type": "Constant",
    }
    back = expressions.from_graph(graph)
    assert back.evaluate({"userAccountControl": "514"}) == "False"
    assert back.evaluate({"userAccountControl": "512"}) == "True"


def test_iif_with_a_boolean_condition_uses_one_four_five() -> None:
    graph = expressions.compile("IIF(IsPresent([displayName]), [displayName], [cn])").to_graph()
    assert [p["key"] for p in graph["parameters"]] == ["one", "four", "five"]
    assert expressions.from_graph(graph).evaluate({"cn": "c"}) == "c"


def test_iif_with_an_omitted_false_value_round_trips() -> None:
    text = 'IIF(IsPresent([pwdLastSet]), FormatDateTime(DateFromNum([pwdLastSet]), , "yyyyMMddHHmmss.0Z"), )'
    graph = expressions.compile(text).to_graph()
    assert graph["expression"] == text
    assert [p["key"] for p in graph["parameters"]] == ["one", "four"]
    assert [p["key"] for p in graph["parameters"][1]["value"]["parameters"]] == ["source", "outputFormat"]
    assert expressions.from_graph(graph).text == text


def test_cbool_of_a_comparison_and_a_top_level_comparison() -> None:
    assert [p["key"] for p in expressions.compile("CBool([a] = [b])").to_graph()["parameters"]] == [
        "one",
        "two",
        "three",
    ]
    top = expressions.compile("[a] = [b]")
    assert expressions.from_graph(top.to_graph()).evaluate({"a": "x", "b": "x"}) is True


def test_formatdatetime_four_argument_form_keys() -> None:
    graph = expressions.compile('FormatDateTime([x], "RoundtripKind", , "yyyy")').to_graph()
    assert [p["key"] for p in graph["parameters"]] == ["source", "dateTimeStyle", "outputFormat"]
    assert expressions.from_graph(graph).text == 'FormatDateTime([x], "RoundtripKind", , "yyyy")'


def test_placeholder_constants_with_and_without_expression() -> None:
    for source in (
        {"expression": None, "name": "%DomainNetBios%", "type": "Constant", "parameters": []},
        {"expression": "%DomainNetBios%", "name": "%DomainNetBios%", "type": "Constant", "parameters": []},
    ):
        compiled = expressions.from_graph(source)
        assert compiled.placeholders == frozenset({"DomainNetBios"})
        context = expressions.EvaluationContext(placeholders={"DomainNetBios": "CONTOSO"})
        assert compiled.evaluate({}, context) == "CONTOSO"
        assert compiled.evaluate({}) == "%DomainNetBios%"


def test_a_quoted_percent_string_is_a_plain_string() -> None:
    compiled = expressions.from_graph({"expression": '"%x%"', "name": "%x%", "type": "Constant"})
    assert compiled.placeholders == frozenset()


def test_constant_with_null_name_is_the_empty_string() -> None:
    assert expressions.from_graph({"expression": '""', "name": None, "type": "Constant"}).evaluate({}) == ""


def test_type_defaults_to_attribute() -> None:
    assert expressions.from_graph({"name": "mail"}).evaluate({"mail": "m"}) == "m"


def test_unknown_parameter_keys_are_read_in_order() -> None:
    source = {
        "type": "Function",
        "name": "Append",
        "parameters": [
            {"key": "String", "value": {"type": "Attribute", "name": "a"}},
            {"key": "Suffix2", "value": {"type": "Constant", "name": "!"}},
        ],
    }
    assert expressions.from_graph(source).evaluate({"a": "x"}) == "x!"


@pytest.mark.parametrize(
    ("source", "fragment"),
    [
        ({"type": "Function", "name": "Jion", "parameters": []}, "did you mean Join"),
        ({"type": "Wat", "name": "x"}, "$.type"),
        ({"type": "Attribute", "name": ""}, "$.name"),
        ({"type": "Function", "name": "Trim", "parameters": {"key": "source"}}, "$.parameters"),
        (
            {
                "type": "Function",
                "name": "Trim",
                "parameters": [{"key": "source", "value": {"type": "Function"}}],
            },
            "$.parameters[0].value.name",
        ),
        ("[mail]", "expected an attributeMappingSource object"),
    ],
)
def test_bad_graph_json_names_the_json_path(source: Any, fragment: str) -> None:
    with pytest.raises(expressions.ExpressionSyntaxError) as info:
        expressions.from_graph(source)
    assert fragment in str(info.value)


def test_graph_arity_errors_are_syntax_errors() -> None:
    source = {"type": "Function", "name": "Mid", "parameters": [{"key": "source", "value": {"name": "a"}}]}
    with pytest.raises(expressions.ExpressionSyntaxError, match="Mid takes 2 to 3"):
        expressions.from_graph(source)


def test_function_catalog_has_graph_shape_and_published_keys() -> None:
    catalog = {entry["name"]: entry for entry in expressions.function_catalog()}
    replace_keys = [p["name"] for p in catalog["Replace"]["parameters"]]
    assert replace_keys == [
        "source",
        "Find",
        "RegularExpression",
        "RegularExpressionGroupName",
        "Replacement",
        "ReplacementPropertyName",
        "Template",
    ]
    assert catalog["Join"]["parameters"][1] == {
        "name": "source",
        "required": True,
        "allowMultipleOccurrences": True,
        "type": "String",
    }
    assert catalog["Mid"]["parameters"][1]["type"] == "Integer"
    assert catalog["DefaultDomain"]["parameters"] == []
    for entry in catalog.values():
        assert set(entry) == {"name", "parameters"}
        for parameter in entry["parameters"]:
            assert set(parameter) == {"name", "required", "allowMultipleOccurrences", "type"}
            assert parameter["type"] in {"String", "Integer", "Reference", "Binary", "Boolean", "DateTime"}
