"""The expression error tree, with caret drawings and "did you mean" suggestions.

::

    ExpressionError                      anything wrong with an expression
     +-- ExpressionSyntaxError           the text (or Graph JSON) cannot be compiled: bad syntax, unknown
     |                                   function, wrong argument count or kind; carries line, column, caret
     +-- ExpressionEvaluationError       evaluating a compiled expression failed for one record; names the
                                         function and the argument

Callers never see lark's exceptions: ``_parser`` wraps them into ``ExpressionSyntaxError``.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class ExpressionError(Exception):
    """Base class of every error raised by the ``expressions`` package."""


class ExpressionSyntaxError(ExpressionError):
    """The expression cannot be compiled.

    ``line`` and ``column`` are 1-based; ``caret`` is the offending text line with a ``^`` line under it;
    ``suggestion`` is a "did you mean" candidate (or None).
    """

    def __init__(
        self,
        message: str,
        text: str,
        line: int = 1,
        column: int = 1,
        suggestion: str | None = None,
    ) -> None:
        self.message = message
        self.text = text
        self.line = max(1, line)
        self.column = max(1, column)
        self.suggestion = suggestion
        self.caret = draw_caret(text, self.line, self.column)
        hint = f" (did you mean {suggestion}?)" if suggestion else ""
        super().__init__(f"line {self.line}, column {self.column}: {message}{hint}\n{self.caret}")


class ExpressionEvaluationError(ExpressionError):
    """Evaluating an expression failed for one record (the engine escrows that object).

    ``function`` is the documented name of the failing function (None outside a call) and ``argument`` the
    parameter name involved (None when the failure is not about one argument).
    """

    def __init__(self, message: str, function: str | None = None, argument: str | None = None) -> None:
        self.message = message
        self.function = function
        self.argument = argument
        where = function or "expression"
        if argument:
            where = f"{where}, argument {argument!r}"
        super().__init__(f"{where}: {message}")


def draw_caret(text: str, line: int, column: int) -> str:
    """Return the ``line``-th line of ``text`` with a ``^`` under ``column`` (tabs kept so they align)."""
    lines = text.split("\n") or [""]
    index = min(max(line, 1), len(lines)) - 1
    source_line = lines[index].rstrip("\r")
    if len(source_line) > 120:  # keep the drawing readable for very long one-line expressions
        start = max(0, column - 60)
        source_line = source_line[start : start + 120]
        column -= start
    pad = "".join("\t" if ch == "\t" else " " for ch in source_line[: max(column - 1, 0)])
    return f"{source_line}\n{pad}^"


def did_you_mean(word: str, candidates: Iterable[str]) -> str | None:
    """The closest candidate to ``word`` (case-insensitive), or None when nothing is close."""
    by_lower = {c.lower(): c for c in candidates}
    match = difflib.get_close_matches(word.lower(), list(by_lower), n=1, cutoff=0.6)
    return by_lower[match[0]] if match else None


def position_of(text: str, offset: int) -> tuple[int, int]:
    """1-based (line, column) of character ``offset`` in ``text``."""
    offset = max(0, min(offset, len(text)))
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return line, column
