"""``idsync parse-expression`` through click's CliRunner: both forms, errors and exit codes."""

from __future__ import annotations

import json

from click.testing import CliRunner

from engine.cli import main

DOCUMENTED_REQUEST = {
    "expression": 'Replace([preferredLanguage], "-", , , "_", ,  )',
    "testInputObject": {
        "definition": None,
        "properties": [{"key": "preferredLanguage", "value": "EN-US"}],
    },
    "targetAttributeDefinition": None,
}


def _run(args: list[str], stdin: str | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["parse-expression", *args], input=stdin)
    return result.exit_code, result.stdout, result.stderr


def test_documented_graph_round_trip_on_stdin() -> None:
    code, out, _ = _run([], json.dumps(DOCUMENTED_REQUEST))
    response = json.loads(out)
    assert code == 0
    assert response["parsingSucceeded"] is True
    assert response["evaluationSucceeded"] is True
    assert response["evaluationResult"] == ["EN_US"]
    assert response["error"] is None
    parsed = response["parsedExpression"]
    assert parsed["expression"] == 'Replace([preferredLanguage], "-", , , "_", , )'
    assert [p["key"] for p in parsed["parameters"]] == ["source", "Find", "Replacement"]


def test_quick_form_with_input() -> None:
    code, out, _ = _run(['Join(" ", [a], [b])', "--input", '{"a": "x", "b": "y"}'])
    assert code == 0
    assert json.loads(out)["evaluationResult"] == ["x y"]


def test_quick_form_multivalued_input_gives_a_list() -> None:
    code, out, _ = _run(["Trim([proxyAddresses])", "--input", '{"proxyAddresses": [" a ", "b "]}'])
    assert code == 0
    assert json.loads(out)["evaluationResult"] == ["a", "b"]


def test_multivalued_property_marked_as_collection_on_stdin() -> None:
    request = {
        "expression": "Count([proxyAddresses])",
        "testInputObject": {
            "properties": [
                {"key": "proxyAddresses", "value": ["a", "b"], "value@odata.type": "#Collection(String)"}
            ]
        },
    }
    code, out, _ = _run([], json.dumps(request))
    assert code == 0
    assert json.loads(out)["evaluationResult"] == ["2"]


def test_syntax_error_exits_1_with_caret_and_suggestion() -> None:
    code, out, err = _run(['Jion(" ", [a])'])
    response = json.loads(out)
    assert code == 1
    assert response["parsingSucceeded"] is False
    assert "did you mean Join" in response["error"]["message"]
    assert "^" in err


def test_evaluation_error_exits_1() -> None:
    code, out, _ = _run(['IIF([missing]="x", "a", "b")', "--input", "{}"])
    response = json.loads(out)
    assert code == 1
    assert response["parsingSucceeded"] is True
    assert response["evaluationSucceeded"] is False
    assert "IIF" in response["error"]["message"]


def test_bad_json_on_stdin_exits_2_with_line_and_column() -> None:
    code, _, err = _run([], '{"expression":\n  oops}')
    assert code == 2
    assert "line 2, column 3" in err


def test_bad_input_option_exits_2() -> None:
    code, _, err = _run(["[a]", "--input", "[1, 2"])
    assert code == 2
    assert "--input is not valid JSON" in err


def test_default_domain_option() -> None:
    code, out, _ = _run(
        ['Join("@", [n], DefaultDomain())', "--input", '{"n": "j"}', "--default-domain", "c.com"]
    )
    assert code == 0
    assert json.loads(out)["evaluationResult"] == ["j@c.com"]


def test_placeholder_option() -> None:
    code, out, _ = _run(
        [
            'Join("@", [s], %DomainFQDN%)',
            "--input",
            '{"s": "jdoe"}',
            "--placeholder",
            "DomainFQDN=corp.contoso.com",
        ]
    )
    assert code == 0
    assert json.loads(out)["evaluationResult"] == ["jdoe@corp.contoso.com"]


def test_bad_placeholder_option_is_a_usage_error() -> None:
    code, _, err = _run(["%X%", "--placeholder", "X"])
    assert code == 2
    assert "NAME=VALUE" in err
