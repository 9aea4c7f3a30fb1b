"""MappingSet (generated source) gives exactly what the per-expression closures give, errors included."""

from __future__ import annotations

import os
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import expressions
from tests.expressions.conftest import context_for, load_cases

CASES = [
    case
    for case in load_cases("expressions.jsonl") + load_cases("functions.jsonl")
    if case.get("kind") != "error"
    and "check" not in case
    and "Guid" not in case["expression"]
    and "RandomString" not in case["expression"]
]


def _outcome(run: Any) -> tuple[str, Any]:
    try:
        return "value", run()
    except expressions.ExpressionEvaluationError as exc:
        return "error", (exc.function, exc.argument, str(exc))


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_mapping_set_matches_the_closures(case: dict[str, Any]) -> None:
    compiled = expressions.compile(case["expression"])
    context = context_for(case)
    mapping_set = expressions.MappingSet({"target": compiled}, case["id"])
    single = _outcome(lambda: compiled.evaluate(case["input"], context))
    together = _outcome(lambda: mapping_set.evaluate(case["input"], context)["target"])
    assert together == single


def test_export_values_renders_and_leaves_out_what_is_not_exported() -> None:
    mapping_set = expressions.MappingSet(
        {
            "active": expressions.compile('Switch([IsSoftDeleted], , "False", "True", "True", "False")'),
            "count": expressions.compile("Count([proxyAddresses])"),
            "upn": expressions.compile("[userPrincipalName]"),
            "skip": expressions.compile("IgnoreFlowIfNullOrEmpty([department])"),
            "when": expressions.compile('CDate("2021-06-30+08:00")'),
        },
        "users",
    )
    record = {"IsSoftDeleted": False, "proxyAddresses": ["a", "b"]}
    assert mapping_set.export_values(record) == {
        "active": "True",
        "count": "2",
        "when": "6/29/2021 4:00:00 PM",
    }
    assert "def users(r, c):" in mapping_set.source
    assert "def users_export(r, c):" in mapping_set.source


def test_export_values_returns_ignore_object() -> None:
    mapping_set = expressions.MappingSet(
        {
            "a": expressions.compile("[a]"),
            "filter": expressions.compile('IIF([t]="x", IgnoreObjectFlow, "ok")'),
        }
    )
    assert mapping_set.export_values({"t": "x", "a": "1"}) is expressions.IGNORE_OBJECT
    assert mapping_set.export_values({"t": "y", "a": "1"}) == {"a": "1", "filter": "ok"}


def test_one_set_over_many_mappings_equals_each_alone() -> None:
    records = [case["input"] for case in CASES[:80]]
    context = expressions.EvaluationContext(
        default_domain="contoso.com", is_unique=lambda attribute, value: True
    )
    compiled = {case["id"]: expressions.compile(case["expression"]) for case in CASES}
    alone: dict[str, list[Any]] = {}
    for target, expression in compiled.items():
        outcomes = [_outcome(lambda e=expression, r=r: e.evaluate(r, context)) for r in records]
        if all(kind == "value" for kind, _ in outcomes):  # a failing mapping fails the whole set's call
            alone[target] = [value for _, value in outcomes]
    assert len(alone) > 150
    mapping_set = expressions.MappingSet({target: compiled[target] for target in alone}, "everything")
    for index, record in enumerate(records):
        together = mapping_set.evaluate(record, context)
        assert together == {target: values[index] for target, values in alone.items()}


@pytest.mark.parametrize("name", ["1 weird-name class", "class", "_v3", "_compare", "r", "out", ""])
def test_names_that_are_not_identifiers_or_clash_are_made_safe(name: str) -> None:
    mapping_set = expressions.MappingSet(
        {"x": expressions.compile("[a]"), "y": expressions.compile('Join("-", [a], "z")')}, name
    )
    assert mapping_set.evaluate({"a": "v"}) == {"x": "v", "y": "v-z"}
    assert mapping_set.export_values({"a": "v"}) == {"x": "v", "y": "v-z"}


_VALUE = st.one_of(
    st.none(),
    st.text(max_size=8),
    st.sampled_from(["", "True", "false", "1", "0", "2021-06-30", "a-b", "x@contoso.com", "  pad  "]),
    st.lists(st.text(max_size=5), max_size=3),
    st.integers(-5, 5),
    st.booleans(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.datetimes(timezones=st.one_of(st.none(), st.timezones())),
    st.dictionaries(st.sampled_from(["value", "displayName"]), st.text(max_size=4), max_size=2),
)
_DETERMINISTIC = [case for case in CASES if "Now()" not in case["expression"]]


@settings(
    max_examples=int(os.environ.get("EXPRESSIONS_PROPERTY_EXAMPLES", "300")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(st.sampled_from(_DETERMINISTIC), st.data())
def test_generated_code_and_closures_agree_on_random_records(
    case: dict[str, Any], data: st.DataObject
) -> None:
    compiled = expressions.compile(case["expression"])
    record = {name: data.draw(_VALUE, label=name) for name in sorted(compiled.attribute_names)}
    context = context_for(case)
    mapping_set = expressions.MappingSet({"target": compiled})
    single = _outcome(lambda: compiled.evaluate(record, context))
    together = _outcome(lambda: mapping_set.evaluate(record, context)["target"])
    assert together == single
