"""The ``$filter`` dialect of /auditLogs/provisioning and Graph's reset scopes, as pure functions."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine.api import FilterError, parse_filter
from engine.api._odata import Clause, matches
from engine.daemon import RESET_SCOPES, parse_reset_scope


def test_clauses_joined_by_and() -> None:
    clauses = parse_filter("jobId eq 'a''b' and activityDateTime gt 2026-01-02T03:04:05Z")
    assert clauses == [
        Clause("jobId", "eq", "a'b"),
        Clause("activityDateTime", "gt", datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)),
    ]


@pytest.mark.parametrize(
    ("text", "column", "fragment"),
    [
        ("jobId eq", 1, "expected '<field> <operator> <value>'"),
        ("jobId gt 'a'", 7, "takes 'eq' or 'ne'"),
        ("jobId eq a", 10, "single quotes"),
        ("userPrincipalName eq 'a'", 1, "cannot filter on 'userPrincipalName'"),
        ("activityDateTime ge yesterday", 21, "not an ISO-8601 date-time"),
        ("activityDateTime has 2026-01-01", 18, "unknown operator 'has'"),
        ("jobId eq 'a' and", 14, "a clause must follow 'and'"),
        ("jobId eq 'a", 10, "unbalanced quote"),
    ],
)
def test_errors_name_the_column(text: str, column: int, fragment: str) -> None:
    with pytest.raises(FilterError) as caught:
        parse_filter(text)
    assert caught.value.column == column
    assert fragment in str(caught.value)


def test_matching_times_and_strings() -> None:
    record = {"jobId": "a", "activityDateTime": "2026-01-01T10:00:00.123Z"}
    assert matches(record, parse_filter("activityDateTime ge 2026-01-01T10:00:00Z and jobId ne 'b'"))
    assert not matches(record, parse_filter("activityDateTime lt 2026-01-01T10:00:00Z"))
    assert not matches({"jobId": "a"}, parse_filter("activityDateTime lt 2030-01-01T00:00:00Z"))


@given(st.text(max_size=40))
def test_any_text_parses_or_raises_filter_error(text: str) -> None:
    try:
        clauses = parse_filter(text)
    except FilterError as exc:
        assert 1 <= exc.column <= len(text) + 1
    else:
        assert all(isinstance(clause, Clause) for clause in clauses)


def test_reset_scopes() -> None:
    assert parse_reset_scope("watermark,  Escrows") == {"Watermark", "Escrows"}
    assert parse_reset_scope("") == {"Watermark", "Escrows", "QuarantineState"}
    assert parse_reset_scope("None") == {"Watermark", "Escrows", "QuarantineState"}
    assert parse_reset_scope(",".join(RESET_SCOPES)) == set(RESET_SCOPES) - {"None"}
    with pytest.raises(ValueError, match="unknown reset scope 'Everything'"):
        parse_reset_scope("Full, Everything")
