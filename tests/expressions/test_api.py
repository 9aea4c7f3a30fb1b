"""The public surface: names, CompiledExpression facts, error attributes, compile-time checks, folding."""

from __future__ import annotations

import pytest

import expressions

PUBLIC = {
    "IGNORE_ATTRIBUTE",
    "IGNORE_OBJECT",
    "CompiledExpression",
    "EvaluationContext",
    "ExpressionError",
    "ExpressionEvaluationError",
    "ExpressionSyntaxError",
    "MappingSet",
    "compile",
    "format_value",
    "from_graph",
    "function_catalog",
    "parse_expression_request",
}


def test_all_is_exactly_the_public_surface() -> None:
    assert set(expressions.__all__) == PUBLIC
    assert all(hasattr(expressions, name) for name in PUBLIC)
    assert issubclass(expressions.ExpressionSyntaxError, expressions.ExpressionError)
    assert issubclass(expressions.ExpressionEvaluationError, expressions.ExpressionError)


def test_compiled_expression_facts() -> None:
    compiled = expressions.compile(
        'iif(IsPresent([mail]), Join("@", [mailNickname], %DomainFQDN%), AltSecIdFromNetId([netId]))'
    )
    assert (
        compiled.text
        == 'IIF(IsPresent([mail]), Join("@", [mailNickname], %DomainFQDN%), AltSecIdFromNetId([netId]))'
    )
    assert compiled.attribute_names == frozenset({"mail", "mailNickname", "netId"})
    assert compiled.function_names == frozenset({"IIF", "IsPresent", "Join", "AltSecIdFromNetId"})
    assert compiled.placeholders == frozenset({"DomainFQDN"})
    assert compiled.unsupported_functions == frozenset()  # AltSecIdFromNetId is implemented (decision 13)
    assert compiled.uses_select_unique_value is False
    assert compiled.is_constant is False


def test_alt_sec_id_from_net_id_gives_one_alternative_security_id() -> None:
    import base64
    import json

    compiled = expressions.compile("AltSecIdFromNetId([netId])")
    text = compiled.evaluate({"netId": "10032001C0A8B0D3"})
    assert json.loads(text) == {"type": 5, "identityProvider": None, "key": "MTAwMzIwMDFDMEE4QjBEMw=="}
    assert base64.b64decode(json.loads(text)["key"]) == b"10032001C0A8B0D3"
    assert text == compiled.evaluate({"netId": "10032001C0A8B0D3"})  # stable: matching finds it again
    assert compiled.evaluate({}) is None and compiled.evaluate({"netId": ""}) is None


def test_select_unique_value_flag() -> None:
    assert expressions.compile("SelectUniqueValue([a], [b])").uses_select_unique_value


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ('Join(",", "a", "b")', "a,b"),
        ('Switch("b", "d", "a", "1", "b", "2")', "2"),
        ('ToUpper(Left("abc", 2))', "AB"),
    ],
)
def test_constants_are_folded(text: str, value: str) -> None:
    compiled = expressions.compile(text)
    assert compiled.is_constant
    assert compiled.evaluate({}) == value


@pytest.mark.parametrize("text", ["Guid()", "Now()", "DefaultDomain()", 'Error("x")', "[a]", "%P%"])
def test_impure_or_record_dependent_expressions_are_not_folded(text: str) -> None:
    assert not expressions.compile(text).is_constant


def test_syntax_error_attributes_on_a_later_line() -> None:
    text = 'Join(" ",\n  [a],\n  Lfet([b], 2))'
    with pytest.raises(expressions.ExpressionSyntaxError) as info:
        expressions.compile(text)
    error = info.value
    assert (error.line, error.column) == (3, 3)
    assert error.suggestion == "Left"
    assert error.text == text
    assert error.caret == "  Lfet([b], 2))\n  ^"
    assert "did you mean Left" in str(error)


def test_unterminated_string_points_at_its_quote() -> None:
    with pytest.raises(expressions.ExpressionSyntaxError) as info:
        expressions.compile('Append([a], "x)')
    assert (info.value.line, info.value.column) == (1, 13)
    assert "unterminated string" in info.value.message


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ('Append([a], "b", "c")', "Append takes 2 argument(s), got 3"),
        ('Join(",")', "Join takes at least 2"),
        ('Mid([a], "x", 2)', "'start' must be an integer"),
        ('InStr([a], "b", 1, vbTextComapre)', "did you mean vbTextCompare"),
        ('Switch([a], "d", "k")', "pairs"),
        ('Append([a] = [b], "x")', "comparison is only allowed as a condition"),
        ("Trim(SelectUniqueValue([a], [b]))", "must be the whole expression"),
        ("vbTextCompare", "unknown keyword"),
        ("Now", "is a function"),
        ("", "empty expression"),
    ],
)
def test_compile_time_checks(text: str, fragment: str) -> None:
    with pytest.raises(expressions.ExpressionSyntaxError) as info:
        expressions.compile(text)
    assert fragment in str(info.value)


def test_non_string_input_is_a_syntax_error_not_a_type_error() -> None:
    with pytest.raises(expressions.ExpressionSyntaxError):
        expressions.compile(42)  # type: ignore[arg-type]


def test_ten_thousand_characters_is_the_limit() -> None:
    body = "x" * (10_000 - len('Join("", "")'))
    assert expressions.compile(f'Join("", "{body}")').evaluate({}) == body
    with pytest.raises(expressions.ExpressionSyntaxError, match="at most 10000"):
        expressions.compile(f'Join("", "{body}x")')


def test_evaluation_error_names_function_and_argument() -> None:
    with pytest.raises(expressions.ExpressionEvaluationError) as info:
        expressions.compile("Mid([a], [s], 2)").evaluate({"a": "abc", "s": "one"})
    assert info.value.function == "Mid"
    assert info.value.argument == "start"


def test_multivalued_where_one_value_is_needed_is_an_evaluation_error() -> None:
    with pytest.raises(expressions.ExpressionEvaluationError) as info:
        expressions.compile('Join([sep], "a", "b")').evaluate({"sep": ["x", "y"]})
    assert info.value.function == "Join"


def test_format_value() -> None:
    fmt = expressions.format_value
    assert fmt(None) is None
    assert fmt(expressions.IGNORE_ATTRIBUTE) is None
    assert fmt(True) == "True"
    assert fmt(7) == "7"
    assert fmt(42568.75) == "42568.75"
    assert fmt(1e16) == "1E+16"
    assert fmt(["a", None, 1]) == ["a", "1"]


def test_compiled_expressions_hold_no_state_between_records() -> None:
    compiled = expressions.compile('IIF(IsPresent([a]), Join(",", [a], [b]), "none")')
    records = [{"a": "1", "b": "2"}, {}, {"a": ["x", "y"]}, {"a": "1", "b": "2"}]
    assert [compiled.evaluate(r) for r in records] == ["1,2", "none", "x,y", "1,2"]


def test_nesting_is_limited_with_a_clear_error_not_a_recursion_error() -> None:
    deepest = "Trim(" * 99 + "[a]" + ")" * 99
    assert expressions.compile(deepest).evaluate({"a": " x "}) == "x"
    with pytest.raises(expressions.ExpressionSyntaxError, match="nested more than 100"):
        expressions.compile("Trim(" * 1600 + "[a]" + ")" * 1600)


def test_deep_graph_json_is_limited_too() -> None:
    source: dict[str, object] = {"type": "Attribute", "name": "a"}
    for _ in range(150):
        source = {"type": "Function", "name": "Trim", "parameters": [{"key": "source", "value": source}]}
    with pytest.raises(expressions.ExpressionSyntaxError, match="nested more than 100"):
        expressions.from_graph(source)
