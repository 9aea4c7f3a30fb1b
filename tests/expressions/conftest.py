"""Shared helpers for the expression tests: load conformance cases, build contexts from them."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import expressions

CASES_DIR = Path(__file__).parent / "cases"
FIXED_NOW = datetime(2025, 7, 30, 12, 0, 0, tzinfo=UTC)


def load_cases(name: str) -> list[dict[str, Any]]:
    path = CASES_DIR / name
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def context_for(case: dict[str, Any]) -> expressions.EvaluationContext:
    """The EvaluationContext a conformance case describes (existing target values, default domain)."""
    ctx = case.get("context") or {}
    existing = set(ctx.get("target_existing_values") or [])
    return expressions.EvaluationContext(
        is_unique=lambda attribute, value: value not in existing,
        default_domain=ctx.get("tenant_default_verified_domain"),
        now=lambda: FIXED_NOW,
        target_attribute=ctx.get("target_attribute"),
    )
