"""Reading a job file (YAML or JSON) into plain data, with the line and column of every key.

Errors name the file, the key path (``settings.deleteThreshold``) and, where the document gives them, the
line and column, so a user can go straight to the mistake. ``engine.job`` builds the ``Job`` on top.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import yaml


class JobFileError(ValueError):
    """A job file is unreadable or wrong; ``str()`` names the file, key and position."""

    def __init__(
        self,
        message: str,
        *,
        file: Path | str | None = None,
        key: str | None = None,
        line: int | None = None,
        column: int | None = None,
        suggestion: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.file = str(file) if file is not None else None
        self.key = key
        self.line = line
        self.column = column
        self.suggestion = suggestion
        """A "did you mean" candidate (a known key, connector kind, directory name), when one is close."""

    def __str__(self) -> str:
        where = self.file or "<job>"
        if self.line is not None:
            where += f":{self.line}" + (f":{self.column}" if self.column is not None else "")
        key = f" at '{self.key}'" if self.key else ""
        hint = f"; did you mean {self.suggestion!r}?" if self.suggestion else ""
        return f"{where}{key}: {self.message}{hint}"


def closest(word: str, candidates: Iterable[str]) -> str | None:
    """The candidate closest to ``word`` (case-insensitive), or None when none is close."""
    by_lower = {str(c).lower(): str(c) for c in candidates}
    found = difflib.get_close_matches(word.lower(), list(by_lower), n=1, cutoff=0.6)
    return by_lower[found[0]] if found else None


def key_path(loc: Sequence[str | int]) -> str:
    """``("settings", "deleteThreshold")`` -> ``settings.deleteThreshold``; list indexes as ``[0]``."""
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def read_document(path: Path) -> tuple[dict[str, Any], yaml.Node | None]:
    """The job document as data plus its YAML node tree (for positions); ``JobFileError`` when malformed."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise JobFileError(f"cannot read the job file ({exc.strerror or exc})", file=path) from exc
    data = _parse_json(text, path) if path.suffix.lower() == ".json" else _parse_yaml(text, path)
    if not isinstance(data, dict):
        raise JobFileError("a job file must be a mapping of keys (id, schema, directories, ...)", file=path)
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        node = None  # valid JSON that YAML 1.1 cannot compose (rare): positions are simply unknown
    return data, node


def _parse_json(text: str, path: Path) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise JobFileError(f"invalid JSON: {exc.msg}", file=path, line=exc.lineno, column=exc.colno) from exc


def _parse_yaml(text: str, path: Path) -> Any:
    try:
        return yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        line = mark.line + 1 if mark is not None else None
        column = mark.column + 1 if mark is not None else None
        raise JobFileError(f"invalid YAML: {exc.problem}", file=path, line=line, column=column) from exc
    except yaml.YAMLError as exc:
        raise JobFileError(f"invalid YAML: {exc}", file=path) from exc


def position(
    node: yaml.Node | None, loc: Sequence[str | int], *, key: bool = False
) -> tuple[int | None, int | None]:
    """Line and column (1-based) of the value at ``loc`` in the node tree, or of its nearest parent;
    ``key``: of the last key itself (an unknown key), not of its value."""
    found: tuple[int | None, int | None] = (None, None)
    for i, part in enumerate(loc):
        if node is None:
            break
        node = _child(node, part, key=key and i == len(loc) - 1)
        if node is not None:
            found = (node.start_mark.line + 1, node.start_mark.column + 1)
    return found


def _child(node: yaml.Node, part: str | int, *, key: bool = False) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode):
        for name, value in node.value:
            if isinstance(name, yaml.ScalarNode) and name.value == str(part):
                found: yaml.Node = name if key else value
                return found
    if isinstance(node, yaml.SequenceNode) and isinstance(part, int) and 0 <= part < len(node.value):
        return node.value[part]  # type: ignore[no-any-return]
    return None


def no_such_file(path: Path | str) -> str:
    """The one message every command (``validate``, ``run``, the daemon's job files...) gives for a file
    that is not there."""
    return f"{path}: no such file"
