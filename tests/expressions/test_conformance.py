"""Every case of the conformance sample (copied from the shared corpus), through the public surface only."""

from __future__ import annotations

from typing import Any

import pytest

from tests.expressions.conftest import check_case, load_cases

CASES = load_cases("expressions.jsonl")


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_case(case: dict[str, Any]) -> None:
    check_case(case)
