"""The small OData ``$filter`` dialect of ``/auditLogs/provisioning`` — pure parsing and matching.

Supported, as Graph documents for provisioning logs: clauses joined by ``and``; ``jobId``, ``cycleId``,
``changeId``, ``id`` and ``provisioningAction`` with ``eq`` / ``ne`` and a quoted string; ``activityDateTime``
with ``eq ne gt ge lt le`` and an ISO-8601 date-time (``2026-01-01T00:00:00Z``, unquoted as in Graph, or
quoted). Anything else is a ``FilterError`` naming the column in the filter text and what is allowed.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

__all__ = ["Clause", "FilterError", "matches", "parse_filter", "parse_time"]

_STRING_FIELDS = ("jobId", "cycleId", "changeId", "id", "provisioningAction")
_TIME_FIELD = "activityDateTime"
_TOKEN = re.compile(r"\s*(?:(?P<str>'(?:[^']|'')*')|(?P<word>[^\s']+))")
_OPS: dict[str, Callable[[Any, Any], bool]] = {
    "eq": lambda a, b: a == b,
    "ne": lambda a, b: a != b,
    "gt": lambda a, b: a > b,
    "ge": lambda a, b: a >= b,
    "lt": lambda a, b: a < b,
    "le": lambda a, b: a <= b,
}


class FilterError(ValueError):
    def __init__(self, message: str, column: int) -> None:
        super().__init__(f"$filter, column {column}: {message}")
        self.column = column


@dataclass(frozen=True)
class Clause:
    field: str
    op: str
    value: str | datetime


def parse_time(text: str) -> datetime:
    """An ISO-8601 date-time; a value without an offset is taken as UTC (Graph stores UTC)."""
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _tokens(text: str) -> list[tuple[str, int, bool]]:
    tokens, pos = [], 0
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None or match.end() == pos:
            rest = text[pos:]
            if rest.strip():
                raise FilterError("unbalanced quote", pos + len(rest) - len(rest.lstrip()) + 1)
            break
        quoted = match.group("str") is not None
        raw = match.group("str")[1:-1].replace("''", "'") if quoted else match.group("word")
        tokens.append((raw, match.start(match.lastgroup or 0) + 1, quoted))
        pos = match.end()
    return tokens


def parse_filter(text: str | None) -> list[Clause]:
    if not text or not text.strip():
        return []
    tokens = _tokens(text)
    clauses: list[Clause] = []
    index = 0
    while index < len(tokens):
        if len(tokens) - index < 3:
            raise FilterError("expected '<field> <operator> <value>'", tokens[index][1])
        clauses.append(_clause(tokens[index : index + 3]))
        index += 3
        if index < len(tokens):
            word, column, quoted = tokens[index]
            if quoted or word.lower() != "and":
                raise FilterError(f"expected 'and', found {word!r} (only 'and' joins clauses)", column)
            index += 1
            if index == len(tokens):
                raise FilterError("a clause must follow 'and'", column)
    return clauses


def _clause(tokens: list[tuple[str, int, bool]]) -> Clause:
    (name, name_col, _), (op, op_col, _), (value, value_col, quoted) = tokens
    op = op.lower()
    if name == _TIME_FIELD:
        if op not in _OPS:
            raise FilterError(f"unknown operator {op!r}; use one of {', '.join(_OPS)}", op_col)
        try:
            return Clause(name, op, parse_time(value))
        except ValueError:
            raise FilterError(f"{value!r} is not an ISO-8601 date-time", value_col) from None
    if name not in _STRING_FIELDS:
        allowed = ", ".join((*_STRING_FIELDS, _TIME_FIELD))
        raise FilterError(f"cannot filter on {name!r}; filterable: {allowed}", name_col)
    if op not in ("eq", "ne"):
        raise FilterError(f"{name} takes 'eq' or 'ne', not {op!r}", op_col)
    if not quoted:
        raise FilterError(f"put the value in single quotes: {name} {op} '{value}'", value_col)
    return Clause(name, op, value)


def matches(record: Mapping[str, Any], clauses: list[Clause]) -> bool:
    for clause in clauses:
        actual: Any = record.get(clause.field)
        if isinstance(clause.value, datetime):
            if not isinstance(actual, str):
                return False
            actual = parse_time(actual)
        if not _OPS[clause.op](actual, clause.value):
            return False
    return True
