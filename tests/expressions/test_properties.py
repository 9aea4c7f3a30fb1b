"""Hypothesis properties: any text compiles or raises ExpressionSyntaxError (never anything else);
grammar-generated IR round-trips text → IR → text and IR → Graph JSON → IR."""

from __future__ import annotations

import contextlib
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import expressions
from expressions._graph import from_graph, to_graph
from expressions._ir import COMPARISON_OPERATORS, Attribute, Call, Comparison, Constant, Node, render, walk
from expressions._parser import parse
from expressions._registry import all_specs, canonical_name, lookup

# the recursive strategies' repr is large; hypothesis warns about it, harmlessly
pytestmark = pytest.mark.filterwarnings("ignore:Generating overly large repr")

_TOKENS = [
    *list('()[]",\\ =<>&%-.'),
    "\n",
    "\t",
    "IIF",
    "Join",
    "Switch",
    "Replace",
    "[a]",
    '"x"',
    "1",
    "&HF",
]
_FRAGMENTS = st.lists(st.sampled_from(_TOKENS) | st.text(max_size=3), max_size=25).map("".join)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.text(max_size=60), _FRAGMENTS))
def test_any_text_compiles_or_raises_syntax_error(text: str) -> None:
    try:
        compiled = expressions.compile(text)
    except expressions.ExpressionSyntaxError as exc:
        assert exc.line >= 1 and exc.column >= 1
        assert "^" in exc.caret
        return
    with contextlib.suppress(expressions.ExpressionEvaluationError):
        compiled.evaluate({})


# ---- grammar-generated IR --------------------------------------------------------------------------------

_IDENT = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,8}", fullmatch=True)
_UNKNOWN_NAME = _IDENT.filter(lambda name: lookup(name) is None)
_ATTRIBUTE = st.text(
    st.characters(blacklist_characters="]", blacklist_categories=("Cs",)), min_size=1, max_size=12
)
_STRING = st.text(st.characters(blacklist_categories=("Cs",)), max_size=12)
_NUMBER = st.from_regex(r"-?[0-9]{1,6}(\.[0-9]{1,3})?", fullmatch=True)
_HEX = st.from_regex(r"&H[0-9A-F]{1,6}", fullmatch=True)
_PLACEHOLDER = _IDENT.map(lambda name: f"%{name}%")

_LEAF = st.one_of(
    _ATTRIBUTE.map(Attribute),
    _STRING.map(lambda v: Constant(v, "string")),
    _NUMBER.map(lambda v: Constant(v, "number")),
    _HEX.map(lambda v: Constant(v, "hex")),
    _IDENT.map(lambda v: Constant(v, "keyword")),
    _PLACEHOLDER.map(lambda v: Constant(v, "placeholder")),
)


def _text_tree(children: st.SearchStrategy[Node]) -> st.SearchStrategy[Node]:
    name = st.one_of(_UNKNOWN_NAME, st.sampled_from([spec.name for spec in all_specs()]))
    slots = st.lists(st.one_of(st.none(), children), max_size=5).filter(lambda args: args != [None])
    call = st.builds(lambda n, a: Call(n, tuple(a)), name, slots)
    operand = st.one_of(_LEAF, call)
    comparison = st.builds(Comparison, operand, st.sampled_from(COMPARISON_OPERATORS), operand)
    return st.one_of(call, comparison)


# comparisons take leaves or calls as operands, so they never nest (the grammar has no nested comparison)
_TEXT_IR = st.recursive(_LEAF, _text_tree, max_leaves=12)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_TEXT_IR)
def test_text_ir_text_round_trip(node: Node) -> None:
    text = render(node, canonical_name)
    parsed = parse(text)
    assert parsed == node
    assert render(parsed, canonical_name) == text
    for child in walk(parsed):  # every node's span covers exactly its own text
        assert child.span is not None
        assert parse(text[child.span.start : child.span.end]) == child


def _graph_call(children: st.SearchStrategy[Node]) -> st.SearchStrategy[Node]:
    """Calls of known functions with slot counts Graph can represent (its omitted slots leave no trace)."""

    @st.composite
    def build(draw: Any) -> Node:
        spec = draw(st.sampled_from([s for s in all_specs() if s.params]))
        low, high = spec.min_slots, spec.max_slots if spec.max_slots is not None else spec.min_slots + 3
        count = draw(st.integers(max(low, 1), max(high, 1)))
        if spec.name in ("IIF", "Replace"):  # Graph writes every slot of these
            count = len(spec.params)
        args: list[Node | None] = []
        for index in range(count):
            param = spec.param_at(index, count)
            optional = (
                not param.required and not param.repeat and not (spec.name == "FormatDateTime" and index == 1)
            )
            args.append(draw(st.none()) if optional and draw(st.booleans()) else draw(children))
        if spec.name not in ("IIF", "Replace"):  # only these keep trailing empty slots in Graph's form
            while args and args[-1] is None:
                args.pop()
        if spec.params[0].type == "Boolean" and draw(st.booleans()):
            op = draw(st.sampled_from(COMPARISON_OPERATORS))
            args[0] = Comparison(draw(children), op, draw(children))
        return Call(spec.name, tuple(args))

    return build()


_GRAPH_LEAF = _LEAF.filter(lambda n: not (isinstance(n, Constant) and n.kind == "number"))
_GRAPH_IR = st.recursive(_GRAPH_LEAF, _graph_call, max_leaves=10)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_GRAPH_IR)
def test_ir_graph_ir_round_trip(node: Node) -> None:
    document = to_graph(node)
    assert from_graph(document) == node
    assert to_graph(from_graph(document)) == document


@settings(deadline=None)
@given(_NUMBER)
def test_numbers_come_back_from_graph_as_equal_string_constants(number: str) -> None:
    # Graph stores numbers as quoted strings ("1" in Mid([x], 1, 8)); their value is the same text
    document = to_graph(Call("Len", (Constant(number, "number"),)))
    back = from_graph(document)
    assert back == Call("Len", (Constant(number, "string"),))
    assert expressions.from_graph(document).evaluate({}) == expressions.compile(f"Len({number})").evaluate({})


# ---- arbitrary Graph JSON --------------------------------------------------------------------------------

_JSON_LEAF = st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=5))
_KEYS = st.sampled_from(["source", "one", "two", "three", "four", "five", "Find", "separator", "x", ""])
_NAMES = st.one_of(st.sampled_from([spec.name for spec in all_specs()] + ["Nope", ""]), st.text(max_size=4))
_EXPRESSIONS = st.one_of(
    st.none(), st.text(max_size=6), st.sampled_from(['"="', "=", "&HF", "%A%", "vbTextCompare"])
)


def _json_source(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    parameter = st.fixed_dictionaries({"key": st.one_of(_KEYS, _JSON_LEAF), "value": children})
    return st.fixed_dictionaries(
        {
            "type": st.sampled_from(["Function", "Attribute", "Constant", None, "X"]),
            "name": _NAMES,
            "expression": _EXPRESSIONS,
            "parameters": st.one_of(
                st.none(), st.lists(st.one_of(parameter, _JSON_LEAF), max_size=5), _JSON_LEAF
            ),
        }
    )


_ANY_JSON = st.recursive(st.one_of(_JSON_LEAF, _json_source(_JSON_LEAF)), _json_source, max_leaves=10)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_ANY_JSON)
def test_any_graph_json_compiles_or_raises_syntax_error(document: Any) -> None:
    try:
        compiled = expressions.from_graph(document)
    except expressions.ExpressionSyntaxError:
        return
    assert expressions.compile(compiled.text).text == compiled.text  # its canonical text compiles too
    with contextlib.suppress(expressions.ExpressionEvaluationError):
        compiled.evaluate({})


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.fixed_dictionaries(
        {
            "expression": st.one_of(st.sampled_from(["[a]", 'Join(",", [a])', "Jion("]), _JSON_LEAF),
            "testInputObject": st.one_of(
                _JSON_LEAF,
                st.fixed_dictionaries(
                    {
                        "properties": st.one_of(
                            _JSON_LEAF,
                            st.lists(
                                st.one_of(
                                    _JSON_LEAF,
                                    st.fixed_dictionaries(
                                        {"key": st.one_of(st.just("a"), _JSON_LEAF), "value": _JSON_LEAF}
                                    ),
                                ),
                                max_size=3,
                            ),
                        )
                    }
                ),
            ),
            "targetAttributeDefinition": _JSON_LEAF,
        }
    )
)
def test_any_parse_expression_request_gets_a_graph_response(request: dict[str, Any]) -> None:
    response = expressions.parse_expression_request(request)
    assert set(response) == {
        "parsingSucceeded",
        "parsedExpression",
        "evaluationSucceeded",
        "evaluationResult",
        "error",
    }
    if response["error"] is not None:
        assert set(response["error"]) == {"code", "message"}
    if response["evaluationSucceeded"]:
        assert all(isinstance(item, str) for item in response["evaluationResult"])
