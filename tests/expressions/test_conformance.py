"""Every case of the conformance sample, through the public surface only."""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

import pytest

import expressions
from tests.expressions.conftest import FIXED_NOW, context_for, load_cases

CASES = load_cases("expressions.jsonl")
_DATE = re.compile(r"\d{1,2}/\d{1,2}/\d{4} \d{1,2}:\d{2}:\d{2} [AP]M")


def _run(case: dict[str, Any]) -> Any:
    compiled = expressions.compile(case["expression"])
    return compiled.evaluate(case["input"], context_for(case))


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_case(case: dict[str, Any]) -> None:
    if case.get("expect_error"):
        error = (
            expressions.ExpressionSyntaxError if case.get("kind") == "error" else expressions.ExpressionError
        )
        with pytest.raises(error):
            _run(case)
        return
    if case.get("kind") == "parse":
        assert expressions.compile(case["expression"]).to_graph() == case["expected_parse"]
        return
    result = _run(case)
    flow = case.get("flow")
    if flow == "ignore_attribute":
        assert result is expressions.IGNORE_ATTRIBUTE
        return
    if flow == "ignore_object":
        assert result is expressions.IGNORE_OBJECT
        return
    formatted = expressions.format_value(result)
    if "check" in case:
        # the clock is injected, so "within a few seconds of the test clock" is exact here
        assert isinstance(formatted, str) and _DATE.fullmatch(formatted), formatted
        assert formatted == expressions.format_value(FIXED_NOW)
        return
    expected = case["expected"]
    if case.get("unordered"):
        assert Counter(formatted) == Counter(expected)
    else:
        assert formatted == expected
