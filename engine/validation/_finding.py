"""Findings: what ``idsync validate`` reports, and the collector the checks write into.

A finding names the file, the JSON path inside it, the line and column where that value starts, and a
caret drawing. For expression findings the column and caret are those of the expression text (from
``expressions.ExpressionSyntaxError``) and the line is the file line where the expression is.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from engine.schema import Document

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Finding:
    """One problem found in a document."""

    severity: Severity
    path: str
    """JSON path in the file: ``synchronizationRules[0].objectMappings[1].attributeMappings[3].source``."""
    message: str
    file: str | None = None
    line: int | None = None
    column: int | None = None
    caret: str | None = None
    """The offending line with a ``^`` under the column (two lines), when known."""
    suggestion: str | None = None
    """A "did you mean" candidate, when there is one."""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def format(self) -> str:
        """``file:line:column: severity: path: message`` plus the caret drawing and the suggestion."""
        where = self.file or "<document>"
        if self.line is not None:  # a column alone (an expression without a file position) is in the caret
            where += f":{self.line}" + (f":{self.column}" if self.column is not None else "")
        text = f"{where}: {self.severity}: {self.path or '<document>'}: {self.message}"
        if self.caret:
            text += "\n" + "\n".join(f"    {line}" for line in self.caret.splitlines())
        if self.suggestion:
            text += f"\n    did you mean {self.suggestion!r}?"
        return text


def suggest(word: str, candidates: Iterable[str]) -> str | None:
    """The closest candidate (case-insensitive), or None when nothing is close."""
    by_lower = {c.lower(): c for c in candidates}
    found = difflib.get_close_matches(word.lower(), list(by_lower), n=1, cutoff=0.6)
    return by_lower[found[0]] if found else None


def draw_caret(line_text: str, column: int) -> str:
    shown = line_text.rstrip("\r")
    if len(shown) > 120:  # a minified JSON line: show the part around the column
        start = max(0, column - 60)
        shown, column = shown[start : start + 120], column - start
    pad = "".join("\t" if ch == "\t" else " " for ch in shown[: max(column - 1, 0)])
    return f"{shown}\n{pad}^"


@dataclass
class Collector:
    """Where checks put findings; turns JSON paths into lines and columns through the document."""

    document: Document | None = None
    prefix: str = ""
    findings: list[Finding] = field(default_factory=list)

    def full_path(self, path: str) -> str:
        if not self.prefix:
            return path
        if not path:
            return self.prefix
        return f"{self.prefix}{path}" if path.startswith("[") else f"{self.prefix}.{path}"

    def add(
        self,
        severity: Severity,
        path: str,
        message: str,
        *,
        suggestion: str | None = None,
        column: int | None = None,
        caret: str | None = None,
    ) -> None:
        full = self.full_path(path)
        line, col = self._position(full)
        if caret is None and line is not None and col is not None and self.document is not None:
            caret = draw_caret(self.document.source_line(line), col)
        if column is not None:
            col = column
        file = self.document.file if self.document is not None else None
        self.findings.append(Finding(severity, full, message, file, line, col, caret, suggestion))

    def error(self, path: str, message: str, **extra: Any) -> None:
        self.add("error", path, message, **extra)

    def warning(self, path: str, message: str, **extra: Any) -> None:
        self.add("warning", path, message, **extra)

    def _position(self, path: str) -> tuple[int | None, int | None]:
        if self.document is None:
            return None, None
        found = self.document.position(path)
        return found if found is not None else (None, None)
