"""Reading JSON and YAML documents with the line and column of every value.

The validator and :func:`engine.load_schema` report errors as ``file:line:column`` plus a JSON path, so
the text is scanned once for value positions (only when a document is validated or fails to load; the
plain loader uses :func:`json.loads`). Callers: ``engine.schema._io``, ``engine.validation``.
"""

from __future__ import annotations

import bisect
import json
import re
from dataclasses import dataclass, field
from json.decoder import scanstring  # type: ignore[attr-defined]
from pathlib import Path
from typing import Any

import yaml

_WS = re.compile(r"[ \t\r\n]*")
_SCALAR = re.compile(r"-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][-+]?\d+)?|true|false|null")
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class DocumentError(ValueError):
    """A document that cannot be read or parsed; carries where."""

    def __init__(self, message: str, *, file: str | None, line: int | None = None, column: int | None = None):
        self.message = message
        self.file = file
        self.line = line
        self.column = column
        where = ":".join(str(p) for p in (file or "<document>", line, column) if p is not None)
        super().__init__(f"{where}: {message}")


@dataclass
class Document:
    """A parsed document and where each value starts (JSON path → (line, column), both 1-based)."""

    data: Any
    file: str | None = None
    text: str = ""
    positions: dict[str, tuple[int, int]] = field(default_factory=dict)

    def position(self, path: str) -> tuple[int, int] | None:
        """Where ``path`` starts, or where its closest existing parent does."""
        while True:
            if path in self.positions:
                return self.positions[path]
            if not path:
                return None
            path = parent_path(path)

    def source_line(self, line: int) -> str:
        lines = self.text.splitlines()
        return lines[line - 1] if 0 < line <= len(lines) else ""


def join_path(path: str, key: str | int) -> str:
    """``join_path("a[0]", "b") == "a[0].b"``; other keys are quoted: ``a["@odata.type"]``."""
    if isinstance(key, int):
        return f"{path}[{key}]"
    if _IDENT.match(key):
        return f"{path}.{key}" if path else key
    return f"{path}[{json.dumps(key)}]"


def parent_path(path: str) -> str:
    """``a.b[0].c`` → ``a.b[0]`` → ``a.b`` → ``a`` → ``""``."""
    if path.endswith("]"):
        depth, i = 0, len(path) - 1
        in_string = False
        while i >= 0:
            ch = path[i]
            if ch == '"' and (i == 0 or path[i - 1] != "\\"):
                in_string = not in_string
            elif not in_string and ch == "]":
                depth += 1
            elif not in_string and ch == "[":
                depth -= 1
                if depth == 0:
                    return path[:i]
            i -= 1
        return ""
    dot = path.rfind(".")
    return path[:dot] if dot >= 0 else ""


def loc_to_path(loc: tuple[int | str, ...]) -> str:
    """A pydantic error location as a JSON path."""
    path = ""
    for key in loc:
        path = join_path(path, key)
    return path


def decode_bytes(raw: bytes) -> str:
    """Text of a file written as UTF-8 (BOM or not) or UTF-16 with a BOM (PowerShell's default)."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return raw.decode("utf-16")
    return raw.decode("utf-8-sig")


def read_text(path: str | Path) -> str:
    """The file's text; DocumentError when it is missing, unreadable or not text."""
    try:
        return decode_bytes(Path(path).read_bytes())
    except OSError as exc:
        raise DocumentError(f"cannot read the file: {exc.strerror or exc}", file=str(path)) from exc
    except UnicodeDecodeError as exc:
        raise DocumentError(f"not UTF-8 or UTF-16 text (byte {exc.start})", file=str(path)) from exc


def parse_document(text: str, *, file: str | None = None, yaml_ok: bool = False) -> Document:
    """Parse JSON (or YAML when ``yaml_ok`` and the text is not JSON) with value positions."""
    stripped = text.lstrip()
    if not yaml_ok or stripped.startswith(("{", "[")):
        return _parse_json(text, file)
    return _parse_yaml(text, file)


def _parse_json(text: str, file: str | None) -> Document:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise DocumentError(f"invalid JSON: {exc.msg}", file=file, line=exc.lineno, column=exc.colno) from exc
    starts = [0] + [m.end() for m in re.finditer(r"\n", text)]
    offsets: dict[str, int] = {}
    _scan(text, _WS.match(text, 0).end(), "", offsets)  # type: ignore[union-attr]
    positions = {p: _line_col(starts, o) for p, o in offsets.items()}
    return Document(data=data, file=file, text=text, positions=positions)


def _line_col(starts: list[int], offset: int) -> tuple[int, int]:
    line = bisect.bisect_right(starts, offset)
    return line, offset - starts[line - 1] + 1


def _skip(text: str, idx: int) -> int:
    return _WS.match(text, idx).end()  # type: ignore[union-attr]


def _scan(text: str, idx: int, path: str, offsets: dict[str, int]) -> int:
    """Record where the value at ``idx`` starts (and its children); return the index after it. The text
    is already known to be valid JSON, so no error handling is needed here."""
    offsets[path] = idx
    ch = text[idx]
    if ch == "{":
        return _scan_object(text, idx + 1, path, offsets)
    if ch == "[":
        return _scan_array(text, idx + 1, path, offsets)
    if ch == '"':
        end: int = scanstring(text, idx + 1)[1]
        return end
    return _SCALAR.match(text, idx).end()  # type: ignore[union-attr]


def _scan_object(text: str, idx: int, path: str, offsets: dict[str, int]) -> int:
    idx = _skip(text, idx)
    while text[idx] != "}":
        key, idx = scanstring(text, idx + 1)
        idx = _skip(text, _skip(text, idx) + 1)  # past the colon
        idx = _skip(text, _scan(text, idx, join_path(path, key), offsets))
        if text[idx] == ",":
            idx = _skip(text, idx + 1)
    return idx + 1


def _scan_array(text: str, idx: int, path: str, offsets: dict[str, int]) -> int:
    idx, position = _skip(text, idx), 0
    while text[idx] != "]":
        idx = _skip(text, _scan(text, idx, join_path(path, position), offsets))
        position += 1
        if text[idx] == ",":
            idx = _skip(text, idx + 1)
    return idx + 1


def _parse_yaml(text: str, file: str | None) -> Document:
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark is not None else (None, None)
        raise DocumentError(
            f"invalid YAML: {exc.problem or exc}", file=file, line=line, column=column
        ) from exc
    except yaml.YAMLError as exc:
        raise DocumentError(f"invalid YAML: {exc}", file=file) from exc
    positions: dict[str, tuple[int, int]] = {}
    if node is not None:
        _walk_yaml(node, "", positions)
    return Document(data=data, file=file, text=text, positions=positions)


def _walk_yaml(
    node: yaml.Node, path: str, positions: dict[str, tuple[int, int]], at: yaml.Mark | None = None
) -> None:
    # A mapping entry is located at its key (``directories:``), where a reader looks, not at its value.
    mark = at or node.start_mark
    positions[path] = (mark.line + 1, mark.column + 1)
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            _walk_yaml(value_node, join_path(path, str(key_node.value)), positions, key_node.start_mark)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _walk_yaml(item, join_path(path, index), positions)
