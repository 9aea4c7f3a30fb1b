"""An incremental reader of the json connector's ``{"<objectName>": [item, ...], ...}`` file: the items of
each list a few dozen at a time, holding one buffer of text (256 KiB by default), never the whole document.

The top level (the object, its names, the lists' brackets and commas) is walked here; the items are decoded
by ``_json_buffer.Buffer``, with the file's own line and column in its syntax errors.

Lists of other object names are skipped by a scan of brackets outside strings (``only``): their items are
not decoded, so a syntax error inside them is only found when they are read themselves (the brackets around
them still have to balance). That scan is about as slow as decoding, so a caller that keeps ``Bookmarks``
reads another object type of the same file version by seeking to its list (the byte offset, line and column
learnt by the first read).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from ._errors import ConnectorConfigError, ConnectorError
from ._json_buffer import Buffer, JsonSyntaxError, Mark

CHUNK = 1 << 18
"""Bytes read at a time (256 KiB; the buffer grows past it only while one item is longer)."""


@dataclass
class Bookmarks:
    """Where each list of one version of the file starts, learnt by a read that walked the whole file: a
    later read of one object type (the engine reads users, then groups) starts at its list instead of
    scanning the lists before it. ``version`` is the file's (inode, size, modification time) when learnt."""

    version: tuple[int, int, int] | None = None
    lists: dict[str, Mark] = field(default_factory=dict)


class ShapeError(Exception):
    """The document is valid so far but not ``{"<name>": [...]}``; ``where`` is the JSON path."""

    def __init__(self, where: str, what: str) -> None:
        super().__init__(f"{where}: {what}")
        self.where, self.what = where, what


def items(
    path: Path, only: str | None = None, chunk: int = CHUNK, bookmarks: Bookmarks | None = None
) -> Iterator[tuple[str, int, object]]:
    """``(object name, index, item)`` for every item of every list of the file (of ``only``'s list alone
    when given): ``batches`` one item at a time."""
    for name, first, batch in batches(path, only, chunk, bookmarks):
        for number, item in enumerate(batch, first):
            yield name, number, item


def batches(
    path: Path, only: str | None = None, chunk: int = CHUNK, bookmarks: Bookmarks | None = None
) -> Iterator[tuple[str, int, list[object]]]:
    """``(object name, index of the first, items)`` for the items of every list of the file (of ``only``'s
    list alone when given), a few dozen at a time (one step per slice of text, not one each). Errors
    are ``ConnectorConfigError`` naming the file, with line and column for a syntax error and the JSON path
    for a wrong shape; ``ConnectorError`` when it cannot be read. The items before an error come out first.

    ``bookmarks`` (kept by the caller between reads) lets a read of ``only`` jump to its list when an earlier
    read walked this same version of the file (which also checked the rest of it), and learns them otherwise.
    """
    try:
        with path.open("rb") as handle:
            version = _version(os.fstat(handle.fileno()))
            if bookmarks is not None and only is not None and bookmarks.version == version:
                if only in bookmarks.lists:
                    yield from _list(Buffer(handle, path, chunk, bookmarks.lists[only]), only)
                return
            learnt: dict[str, Mark] = {}
            yield from _document(Buffer(handle, path, chunk), only, learnt)
            if bookmarks is not None:
                bookmarks.version, bookmarks.lists = version, learnt
    except JsonSyntaxError as exc:
        raise ConnectorConfigError(
            f"{path}:{exc.line}:{exc.column}: invalid JSON ({exc.message}); "
            "fix the file or point 'path' at another one",
            setting="path",
            connector="json",
        ) from None
    except ShapeError as exc:
        raise ConnectorConfigError(f"{path} {exc}", setting="path", connector="json") from None
    except OSError as exc:
        raise ConnectorError(f"cannot read {path}: {exc.strerror or exc}", connector="json") from exc


def _version(stat: os.stat_result) -> tuple[int, int, int]:
    # A target write replaces the file (a new inode); an edit in place changes its size or time.
    return (stat.st_ino, stat.st_size, stat.st_mtime_ns)


def _document(
    buffer: Buffer, only: str | None, learnt: dict[str, Mark]
) -> Iterator[tuple[str, int, list[object]]]:
    if buffer.next_char() != "{":
        buffer.value()  # json's own error when it is not JSON at all
        _end(buffer)
        raise ShapeError("$", 'expected an object like {"User": [...], "Group": [...]}')
    buffer.pos += 1
    char = buffer.next_char()
    if char == "}":
        buffer.pos += 1
    while char != "}":
        name = _name(buffer)
        if name in learnt:
            raise ShapeError(f"$.{name}", "the object name appears twice; merge its two lists into one")
        learnt[name] = buffer.mark()
        if only is None or name == only:
            yield from _list(buffer, name)
        else:
            buffer.skip()
        char = _comma_or(buffer, "}")
    _end(buffer)


def _name(buffer: Buffer) -> str:
    """The next ``"name":`` of the top object, leaving ``pos`` at the start of a list."""
    if buffer.next_char() != '"':
        raise buffer.syntax("Expecting property name enclosed in double quotes")
    name = buffer.value()
    assert isinstance(name, str)
    if buffer.next_char() != ":":
        raise buffer.syntax("Expecting ':' delimiter")
    buffer.pos += 1
    if buffer.next_char() != "[":
        buffer.value()  # a syntax error in it comes first, as with json.loads
        raise ShapeError(f"$.{name}", "expected a list of objects")
    return name


def _list(buffer: Buffer, name: str) -> Iterator[tuple[str, int, list[object]]]:
    buffer.pos += 1  # the "["
    if buffer.next_char() == "]":
        buffer.pos += 1
        return
    number, more = 0, True
    while more:
        batch = buffer.values()
        if batch:
            yield name, number, batch
            number += len(batch)
        elif buffer.low():  # the item at pos starts near the buffer's end
            buffer.more()
        else:  # it needs care (after whitespace when a slice's separator ran to the end of the buffer)
            buffer.next_char()
            yield name, number, [buffer.value()]
            number += 1
            more = buffer.next_item()


def _comma_or(buffer: Buffer, close: str) -> str:
    """Past a "," (returning it) or the closing bracket; anything else is json's "Expecting ','"."""
    char = buffer.next_char()
    if char not in (",", close):
        raise buffer.syntax("Expecting ',' delimiter")
    buffer.pos += 1
    return char


def _end(buffer: Buffer) -> None:
    if buffer.next_char():
        raise buffer.syntax("Extra data")


__all__ = ["CHUNK", "Bookmarks", "Mark", "batches", "items"]
