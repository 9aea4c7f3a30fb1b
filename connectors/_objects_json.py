"""The ``{"<objectName>": [{"id": ..., attribute: value, ...}, ...]}`` document of the json and memory
connectors: checked while loading, each error naming its JSON path (``$.User[3].manager``). The memory
connector's document is already parsed (``load_objects``); a json file is decoded a few dozen objects at a
time (``stream_batches``), with the same checks.

Values are strings, Booleans, numbers, null (= absent), complex values (JSON objects: SCIM's ``name``, an
``addresses`` entry; kept whole, see ``_directory``) or lists of those; an ``id`` is a non-empty string (an
integer id is accepted and read as its decimal text, since hand-written test files often use them).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import orjson

from . import _json_stream
from ._base import DirectoryObject
from ._directory import Attributes, is_json
from ._errors import ConnectorConfigError


def _bad(where: str, what: str, kind: str) -> ConnectorConfigError:
    return ConnectorConfigError(
        f"{where}: {what}", setting="path" if kind == "json" else "objects", connector=kind
    )


def _scalar_ok(value: object) -> bool:
    return isinstance(value, str | bool | int | float)


def _item_ok(value: object) -> bool:
    """A value or list item: a scalar or a complex value (a JSON object)."""
    return _scalar_ok(value) or (isinstance(value, dict) and is_json(value))


_PLAIN = frozenset({str, bool, int, float})
"""The exact types json decodes scalars to: checked by identity, the fast path of a million objects."""


def _object_id(value: object) -> str | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value if isinstance(value, str) and value else None


def _plain_attributes(raw: dict[str, Any]) -> Attributes | None:
    """The attributes when every value has a plain JSON type (what a decoded file holds); None otherwise,
    for ``_attributes`` to check one by one (and name the bad one). One pass, a set lookup per type."""
    plain = _PLAIN
    attributes: Attributes = {}
    for name, value in raw.items():
        kind = type(value)
        if kind in plain:
            attributes[name] = value
        elif kind is list and plain.issuperset(map(type, value)):
            attributes[name] = list(value)  # the caller's document may hold it (the memory connector's)
        elif value is not None:
            return None
    attributes.pop("id", None)
    return attributes


def _adopted(raw: dict[str, Any]) -> Attributes | None:
    """``_plain_attributes`` for an object just decoded from a file, which nobody else holds: the same dict,
    its ``id`` and nulls taken out, instead of a copy. None (and ``raw`` unchanged) when some value is not
    plain."""
    plain, nulls = _PLAIN, None
    for name, value in raw.items():
        kind = type(value)
        if kind in plain or (kind is list and plain.issuperset(map(type, value))):
            continue
        if value is not None:
            return None
        nulls = [name] if nulls is None else [*nulls, name]
    del raw["id"]
    for name in nulls or ():
        del raw[name]
    return raw


def _attributes(raw: dict[str, Any], where: str, kind: str) -> Attributes:
    attributes: Attributes = {}
    for name, value in raw.items():
        if name == "id" or value is None:
            continue
        path = f"{where}.{name}"
        if isinstance(value, list):
            if not all(_item_ok(item) for item in value):
                raise _bad(path, "list items must be strings, Booleans, numbers or objects", kind)
            attributes[name] = list(value)
        elif _item_ok(value):
            attributes[name] = value
        elif isinstance(value, dict):
            raise _bad(
                path, "a complex value (an object) must hold JSON data: string keys, JSON values", kind
            )
        else:
            raise _bad(
                path,
                "a value must be a string, Boolean, number, object (a complex value), null or a list, "
                f"not {type(value).__name__}",
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
            yield check_object(object_type, number, raw, seen, source, kind)


def check_object(
    object_type: str, number: int, raw: object, seen: set[str], source: str, kind: str
) -> tuple[str, str, Attributes]:
    """Item ``number`` of ``$.<object_type>`` checked: (object type, id, attributes); its id joins ``seen``
    (the ids of that list so far: a second one is an error)."""
    if not isinstance(raw, dict):
        raise _bad(_where(source, object_type, number), "expected an object with an id", kind)
    object_id = _object_id(raw.get("id"))
    if object_id is None:
        where = _where(source, object_type, number)
        raise _bad(f"{where}.id", 'every object needs an "id": a non-empty string', kind)
    if object_id in seen:
        raise _bad(f"{_where(source, object_type, number)}.id", f"duplicate id {object_id!r}", kind)
    seen.add(object_id)
    attributes = _plain_attributes(raw)
    if attributes is None:
        attributes = _attributes(raw, _where(source, object_type, number), kind)
    return object_type, object_id, attributes


def _where(source: str, object_type: str, number: int) -> str:
    # Built only for an error or an unusual value: formatting it for each of a million objects costs.
    return f"{source} $.{object_type}[{number}]"


def stream_batches(
    path: Path,
    only: str | None = None,
    seen: dict[str, set[str]] | None = None,
    bookmarks: _json_stream.Bookmarks | None = None,
) -> Iterator[list[DirectoryObject]]:
    """``load_objects`` of a json file as ``DirectoryObject`` lists, decoded a few dozen at a time
    (``_json_stream.batches``): only the objects of ``only`` when given. ``seen`` receives the ids of each
    object type before their batch comes out (the caller may keep it: a read needs them for its deletions,
    and they are the duplicate check's anyway); ``bookmarks`` are ``_json_stream.batches``'. The objects
    before a bad one come out first, then its error."""
    ids = {} if seen is None else seen
    source = str(path)
    for object_type, first, raws in _json_stream.batches(path, only, bookmarks=bookmarks):
        checked: list[DirectoryObject] = []
        try:
            check_decoded(object_type, first, raws, ids.setdefault(object_type, set()), source, checked)
        except ConnectorConfigError:
            if checked:
                yield checked
            raise
        yield checked


def check_decoded(
    object_type: str, first: int, raws: list[object], seen: set[str], source: str, out: list[DirectoryObject]
) -> None:
    """Items ``first``, ``first + 1``... of ``$.<object_type>``, just decoded from a file, checked as
    ``check_object`` checks them and appended to ``out``; the usual object (a dict with a new string id)
    skips the calls and branches ``check_object`` makes for the others, and its dict, which the caller
    gives up, becomes its attributes."""
    add, append = seen.add, out.append
    for number, raw in enumerate(raws, first):
        if type(raw) is dict:
            object_id = raw.get("id")
            if type(object_id) is str and object_id and object_id not in seen:
                attributes = _adopted(raw)
                if attributes is not None:
                    add(object_id)
                    append(DirectoryObject(object_type, object_id, attributes))
                    continue
        _, object_id, attributes = check_object(object_type, number, raw, seen, source, "json")
        append(DirectoryObject(object_type, object_id, attributes))


def dump_document(document: dict[str, list[Attributes]]) -> str:
    """The whole document pretty-printed (``pretty: true``; ``json``'s indenting encoder is pure Python)."""
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


_ENCODE = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def compact_bytes(value: object) -> bytes:
    """``value`` as compact JSON in UTF-8 (a file's or a journal line's): by orjson (about ten times
    ``json``'s C encoder on a directory's objects), or ``json`` for what orjson refuses (an integer past 64
    bits)."""
    try:
        return orjson.dumps(value)
    except TypeError:  # orjson.JSONEncodeError
        return _ENCODE(value).encode("utf-8")


_ROWS = 1000
"""Objects joined into one piece of the file (a few hundred KB)."""


def _row(object_id: str, attributes: Attributes, id_attribute: bool) -> bytes:
    """One object, its "id" first: its attributes' encoding with the id spliced in (no dict made for it)."""
    if not id_attribute or "id" in attributes:  # (an "id" attribute, put there by hand, is the id written)
        return compact_bytes({"id": object_id, **attributes} if id_attribute else attributes)
    encoded = compact_bytes(attributes)
    head = b'{"id":' + compact_bytes(object_id)
    return head + b"}" if encoded == b"{}" else head + b"," + encoded[1:]


def document_lines(
    lists: Iterable[tuple[str, Iterable[tuple[str, Attributes]]]], *, id_attribute: bool = True
) -> Iterator[bytes]:
    """The document ``{"<type>": [{"id": ..., ...}, ...], ...}`` as pieces of UTF-8 text: compact, one
    object a line (``grep``, ``diff`` and ``head`` work on it, and any JSON reader reads it), a thousand
    objects per piece, never the whole document at once."""
    first_type = True
    for object_type, objects in lists:
        yield (b"{" if first_type else b"\n],\n") + compact_bytes(object_type) + b":["
        first_type = False
        rows: list[bytes] = []
        first_row = True
        for object_id, attributes in objects:
            rows.append(_row(object_id, attributes, id_attribute))
            if len(rows) == _ROWS:
                yield (b"\n" if first_row else b",\n") + b",\n".join(rows)
                rows, first_row = [], False
        if rows:
            yield (b"\n" if first_row else b",\n") + b",\n".join(rows)
    yield b"{}\n" if first_type else b"\n]}\n"
