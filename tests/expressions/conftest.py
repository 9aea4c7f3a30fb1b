"""Shared helpers for the expression tests: load case files, build contexts, check one case."""

from __future__ import annotations

import json
import re
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

import expressions

CASES_DIR = Path(__file__).parent / "cases"
FIXED_NOW = datetime(2025, 7, 30, 12, 0, 0, tzinfo=UTC)
_DATE = re.compile(r"\d{1,2}/\d{1,2}/\d{4} \d{1,2}:\d{2}:\d{2} [AP]M")


def load_cases(name: str) -> list[dict[str, Any]]:
    path = CASES_DIR / name
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def context_for(case: dict[str, Any]) -> expressions.EvaluationContext:
    """The EvaluationContext a case describes (existing target values, default domain); fixed clock."""
    ctx = case.get("context") or {}
    existing = set(ctx.get("target_existing_values") or [])
    return expressions.EvaluationContext(
        is_unique=lambda attribute, value: value not in existing,
        default_domain=ctx.get("tenant_default_verified_domain"),
        now=lambda: FIXED_NOW,
        target_attribute=ctx.get("target_attribute"),
    )


def _run(case: dict[str, Any]) -> Any:
    compiled = expressions.compile(case["expression"])
    return compiled.evaluate(case["input"], context_for(case))


def _expected_error(case: dict[str, Any]) -> type[Exception]:
    kind = case.get("kind")
    if kind == "error":
        return expressions.ExpressionSyntaxError
    if kind == "evaluation":
        return expressions.ExpressionEvaluationError
    return expressions.ExpressionError


def check_case(case: dict[str, Any]) -> None:
    """Run one case (conformance format, spec §E) through the public surface and assert its outcome."""
    if case.get("expect_error"):
        with pytest.raises(_expected_error(case)):
            _run(case)
        return
    if case.get("kind") == "parse":
        assert expressions.compile(case["expression"]).to_graph() == case["expected_parse"]
        return
    result = _run(case)
    flow = case.get("flow")
    if flow in ("ignore_attribute", "ignore_object"):
        sentinel = expressions.IGNORE_ATTRIBUTE if flow == "ignore_attribute" else expressions.IGNORE_OBJECT
        assert result is sentinel
        return
    formatted = expressions.format_value(result)
    if "check" in case:
        # the clock is injected, so "within a few seconds of the test clock" is exact here
        assert isinstance(formatted, str) and _DATE.fullmatch(formatted), formatted
        assert formatted == expressions.format_value(FIXED_NOW)
        return
    if case.get("unordered"):
        assert Counter(formatted) == Counter(case["expected"])
    else:
        assert formatted == case["expected"]
