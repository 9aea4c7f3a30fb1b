"""The ``{"<objectName>": [{"id": ..., attribute: value, ...}, ...]}`` document of the json and memory
connectors: checked while loading, each error naming its JSON path (``$.User[3].manager``).

Values are strings, Booleans, numbers, null (= absent) or lists of those; an ``id`` is a non-empty string
(an integer id is accepted and read as its decimal text, since hand-written test files often use them).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ._directory import Attributes
from ._errors import ConnectorConfigError


def _bad(where: str, what: str, kind: str) -> ConnectorConfigError:
    return ConnectorConfigError(
        f"{where}: {what}", setting="path" if kind == "json" else "objects", connector=kind
    )


def _scalar_ok(value: object) -> bool:
    return isinstance(value, str | bool | int | float)


def _object_id(raw: dict[str, Any], where: str, kind: str) -> str:
    value = raw.get("id")
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if not isinstance(value, str) or not value:
        raise _bad(f"{where}.id", 'every object needs an "id": a non-empty string', kind)
    return value


def _attributes(raw: dict[str, Any], where: str, kind: str) -> Attributes:
    attributes: Attributes = {}
    for name, value in raw.items():
        if name == "id" or value is None:
            continue
        path = f"{where}.{name}"
        if isinstance(value, list):
            if not all(_scalar_ok(item) for item in value):
                raise _bad(path, "list items must be strings, Booleans or numbers", kind)
            attributes[name] = list(value)
        elif _scalar_ok(value):
            attributes[name] = value
        else:
            raise _bad(
                path,
                f"a value must be a string, Boolean, number, null or a list, not {type(value).__name__}",
                kind,
            )
    return attributes


def load_objects(document: object, source: str, kind: str) -> Iterator[tuple[str, str, Attributes]]:
    """(object type, id, attributes) for every object of a parsed document (``source`` names its origin)."""
    if not isinstance(document, dict):
        raise _bad(f"{source} $", 'expected an object like {"User": [...], "Group": [...]}', kind)
    for object_type, items in document.items():
        if not isinstance(items, list):
            raise _bad(f"{source} $.{object_type}", "expected a list of objects", kind)
        seen: set[str] = set()
        for number, raw in enumerate(items):
            where = f"{source} $.{object_type}[{number}]"
            if not isinstance(raw, dict):
                raise _bad(where, "expected an object with an id", kind)
            object_id = _object_id(raw, where, kind)
            if object_id in seen:
                raise _bad(f"{where}.id", f"duplicate id {object_id!r}", kind)
            seen.add(object_id)
            yield object_type, object_id, _attributes(raw, where, kind)


def parse_file(path: Path, text: str) -> object:
    """Parse JSON text; a syntax error names the file, line and column."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConnectorConfigError(
            f"{path}:{exc.lineno}:{exc.colno}: invalid JSON ({exc.msg}); "
            "fix the file or point 'path' at another one",
            setting="path",
            connector="json",
        ) from exc


def dump_document(document: dict[str, list[Attributes]]) -> str:
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"
