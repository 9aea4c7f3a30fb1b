"""The text window of the json connector's incremental reader (``_json_stream``): a buffer of decoded text
over the binary file, which knows the file's line and column of each of its characters and decodes the
items of a list.

Each item is decoded by the standard ``json`` module's scanner at a buffer position (what
``JSONDecoder.raw_decode`` calls). Items well inside the buffer are decoded a slice of them at once (by
orjson, which reads a subset of what json reads, to the same values; json when it refuses), or else a few
dozen in a tight loop (``Buffer.values``); the few near its end, the list's last one
and anything json rejects take the careful path (``Buffer.value``): an item cut at the end of the buffer
fails to decode or ends exactly at the buffer's end (a number may go on); the buffer is then refilled and
the item decoded again (also when it ends near the buffer's end: a number cut after "1." decodes as 1). A
failure that cannot come from a cut (far enough from the buffer's end, or at the end of the file) is a
syntax error, reported with the file's own line and column and ``json``'s message, as ``json.loads`` of the
whole text would report it. A byte-order mark is accepted; text that is not UTF-8 names its byte offset.
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

import orjson

from ._errors import ConnectorConfigError

_WHITESPACE = re.compile(r"[ \t\n\r]*")
_DECODER = json.JSONDecoder()
# The C scanner raw_decode calls (typeshed leaves the attribute out); called directly to spare a wrapper.
_SCAN: Callable[[str, int], tuple[object, int]] = _DECODER.scan_once  # type: ignore[attr-defined]
_SEPARATOR = re.compile(r"[ \t\n\r]*,[ \t\n\r]*")
_CUT_MARGIN = 64
"""An error, or the end of a value, this close to the buffer's end may come from a cut (``"\\u12`` cut
inside its escape, ``1.5`` cut after its ``.``)."""
_SKIP = re.compile(r'[^"\[\]{}]*(?:"[^"\\]*(?:\\.[^"\\]*)*"[^"\[\]{}]*)*', re.DOTALL)
"""Everything up to the next bracket outside a string (an unrolled loop: no catastrophic backtracking)."""
_DEPTH = {"[": 1, "{": 1, "]": -1, "}": -1}
_RUN = 64
"""Items decoded one scanner call each per ``values`` call (when a run cannot be decoded at once): a few
dozen objects come out together, few enough that they are still in the processor's cache when checked."""
_SLICE = 1 << 15
"""Characters of items decoded by one scanner call (``values``): a few dozen objects of a directory."""


_DIGITS = bytes(0x30 if 0x30 <= byte <= 0x39 else 0x20 for byte in range(256))
"""A ``bytes.translate`` table: every digit becomes ``0``, anything else a space."""
_LONG_NUMBER = b"0" * 19
"""19 digits in a row: the shortest integer orjson may not hold exactly (-9223372036854775809)."""


def _fast_decode(text: str) -> object:
    """``text`` decoded by orjson (faster than json's scanner) when it makes the values json would, else an
    ``orjson.JSONDecodeError`` (json's scanner decides then). orjson itself refuses what json reads and it
    does not (NaN, a lone surrogate escape, a number past a float's range, nesting past 1024), but makes an
    integer past 64 bits a float: text with 19 digits in a row (counted anywhere, in strings too) is refused
    here."""
    raw = text.encode("utf-8")
    if _LONG_NUMBER in raw.translate(_DIGITS):
        raise orjson.JSONDecodeError("a long number: for json", text, 0)
    return orjson.loads(raw)


Mark = tuple[int, int, int]
"""A place in the file: (byte offset, line, column)."""


class JsonSyntaxError(Exception):
    """Invalid JSON at the file's ``line`` and ``column`` (the reader makes it a ``ConnectorConfigError``)."""

    def __init__(self, message: str, line: int, column: int) -> None:
        super().__init__(message)
        self.message, self.line, self.column = message, line, column


class Buffer:
    """A window of decoded text over a binary file, with the file's line and column of its first character."""

    def __init__(self, handle: BinaryIO, path: Path, chunk: int, start: Mark = (0, 1, 1)) -> None:
        """Read ``handle`` from ``start``: the beginning of the file, or a ``Mark`` taken earlier."""
        self._handle, self._path, self._chunk = handle, path, max(chunk, 1)
        self._reserve = self._chunk // 8
        self._decoder = codecs.getincrementaldecoder("utf-8")()
        self._bytes = start[0]  # bytes read from the file so far
        self._lines = start[1] - 1  # newlines before text[0]
        self._column = start[2] - 1  # characters between the last of those newlines and text[0]
        self.pos = 0
        self.eof = False
        handle.seek(start[0])
        head = handle.read(len(codecs.BOM_UTF8))
        if head == codecs.BOM_UTF8 and not start[0]:  # a byte-order mark (Windows editors) is fine
            self._bytes, head = len(head), b""
        self.text = self._decode(head) if head else ""

    def mark(self) -> Mark:
        """Where ``pos`` is in the file: its byte offset, line and column (a new buffer can start there)."""
        pending = len(self._decoder.getstate()[0])
        offset = self._bytes - pending - len(self.text[self.pos :].encode("utf-8"))
        return (offset, *self.where(self.pos))

    def more(self, grow: bool = False) -> bool:
        """Drop the text before ``pos`` and append the next chunk (twice the buffer when ``grow``, so a
        long item is decoded again a logarithmic number of times); False at the end of the file."""
        if self.eof:
            return False
        self._forget(self.pos)
        size = max(self._chunk, len(self.text)) if grow else self._chunk
        added = ""
        while not added and not self.eof:
            raw = self._handle.read(size)
            self.eof = not raw
            added = self._decode(raw)
        self.text += added
        return bool(added)

    def _forget(self, count: int) -> None:
        newlines = self.text.count("\n", 0, count)
        if newlines:
            self._lines += newlines
            self._column = count - self.text.rfind("\n", 0, count) - 1
        else:
            self._column += count
        self.text, self.pos = self.text[count:], self.pos - count

    def _decode(self, raw: bytes) -> str:
        pending = len(self._decoder.getstate()[0])
        try:
            text = self._decoder.decode(raw, final=not raw)
        except UnicodeDecodeError as exc:
            offset = self._bytes - pending + exc.start
            raise ConnectorConfigError(
                f"{self._path}: not UTF-8 text (byte {offset})", setting="path", connector="json"
            ) from exc
        self._bytes += len(raw)
        return text

    def where(self, pos: int) -> tuple[int, int]:
        """The file's (line, column) of buffer position ``pos``, counted as ``json`` counts them."""
        line = self._lines + self.text.count("\n", 0, pos) + 1
        newline = self.text.rfind("\n", 0, pos)
        return line, (pos - newline if newline >= 0 else self._column + pos + 1)

    def syntax(self, message: str, pos: int | None = None) -> JsonSyntaxError:
        return JsonSyntaxError(message, *self.where(self.pos if pos is None else pos))

    def next_char(self) -> str:
        """Skip whitespace; the next character, or "" at the end of the file."""
        while True:
            self.pos = _WHITESPACE.match(self.text, self.pos).end()  # type: ignore[union-attr]
            if self.pos < len(self.text):
                return self.text[self.pos]
            if not self.more():
                return ""

    def value(self) -> object:
        """Decode the JSON value at ``pos`` (refilling while it may be cut) and move past it."""
        grow = False
        while True:
            try:
                value, end = _SCAN(self.text, self.pos)  # raw_decode's own call, without its wrapper
            except StopIteration as stop:  # nothing that starts a value here
                if self.eof or stop.value + _CUT_MARGIN < len(self.text):
                    raise self.syntax("Expecting value", stop.value) from None
            except json.JSONDecodeError as exc:
                if self.eof or not self._maybe_cut(exc):
                    raise self.syntax(exc.msg, exc.pos) from None
            except (ValueError, RecursionError) as exc:  # no position: named at the value's start
                # A number of more digits than Python converts, a value nested past its recursion limit:
                # json.loads fails on them too (with a bare error), and a cut would only make them shorter.
                raise self.syntax(str(exc).split(":")[0] or "nested too deeply") from None
            else:
                # A number cut after "1." or "1e" decodes as 1: near the buffer's end, look further first.
                if end + _CUT_MARGIN < len(self.text) or self.eof:
                    self.pos = end
                    return value
            self.more(grow)
            grow = True

    def values(self) -> list[object]:
        """List items from ``pos`` on that are wholly in the buffer (a slice of them at once, else up to
        ``_RUN`` one by one), ``pos`` left past them and their separators; none when the item at ``pos``
        starts in the buffer's last eighth (``low``: refill first) or needs ``value``'s care (the list's
        last, an item cut by the buffer's end, or one json rejects; or ``pos`` is still in whitespace that
        went on past the buffer's end: ``next_char`` first)."""
        limit = len(self.text) if self.eof else len(self.text) - self._reserve
        return self._slice(limit) or self._one_by_one(limit)

    def _slice(self, limit: int) -> list[object]:
        """The items up to the last ``},`` of the next ``_SLICE`` characters, decoded at once as the list
        ``[`` + them + ``]`` by orjson (both it and json's scanner share the attribute names among the
        objects), or by json's scanner when orjson refuses it (``_fast_decode``).
        That text parses whole only when the ``},`` ends an item: a cut inside a string leaves it
        unterminated, and one inside a nested value leaves a bracket open. Else none, for ``_one_by_one``."""
        text, pos = self.text, self.pos
        boundary = text.rfind("},", pos, min(pos + _SLICE, limit))
        if boundary < 0:
            return []
        wrapped = "[" + text[pos : boundary + 1] + "]"
        try:
            decoded = _fast_decode(wrapped)
        except orjson.JSONDecodeError:
            try:
                decoded, end = _SCAN(wrapped, 0)
            except (StopIteration, ValueError, RecursionError):  # JSONDecodeError is a ValueError
                return []
            if end != len(wrapped):  # the list ended inside the slice
                return []
        if not isinstance(decoded, list):
            return []
        self.pos = _SEPARATOR.match(text, boundary + 1).end()  # type: ignore[union-attr]
        return decoded

    def _one_by_one(self, limit: int) -> list[object]:
        """Up to ``_RUN`` items, a scanner call each, while each one and its separator end well inside the
        buffer (so nothing is cut)."""
        text, pos, safe = self.text, self.pos, len(self.text) - _CUT_MARGIN
        scan, separator = _SCAN, _SEPARATOR.match
        decoded: list[object] = []
        append = decoded.append
        try:
            while pos < limit and len(decoded) < _RUN:
                value, end = scan(text, pos)
                found = separator(text, end)
                if found is None or found.end() >= safe:
                    break
                append(value)
                pos = found.end()
        except (StopIteration, ValueError, RecursionError):  # value() says what is wrong
            pass
        self.pos = pos
        return decoded

    def low(self) -> bool:
        """True when ``pos`` is in the buffer's last eighth and the file goes on: time to ``more()``."""
        return not self.eof and self.pos >= len(self.text) - self._reserve

    def next_item(self) -> bool:
        """Past the "," and the whitespace before a list's next item (True), or past its "]" (False)."""
        found = _SEPARATOR.match(self.text, self.pos)
        if found is not None and found.end() < len(self.text):  # the common case, in one step
            self.pos = found.end()
            return True
        char = self.next_char()
        if char not in (",", "]"):
            raise self.syntax("Expecting ',' delimiter")
        self.pos += 1
        if char == "]":
            return False
        self.next_char()
        return True

    def _maybe_cut(self, exc: json.JSONDecodeError) -> bool:
        return exc.msg.startswith("Unterminated string") or exc.pos + _CUT_MARGIN >= len(self.text)

    def skip(self) -> None:
        """Move past the list or object at ``pos`` without decoding its items (brackets outside strings)."""
        depth = 0
        while True:
            self.pos = _SKIP.match(self.text, self.pos).end()  # type: ignore[union-attr]
            if self.pos >= len(self.text) or self.text[self.pos] == '"':  # the end, or a string cut by it
                if not self.more(grow=True):
                    raise self.syntax("the file ends inside this list")
                continue
            depth += _DEPTH[self.text[self.pos]]
            self.pos += 1
            if depth == 0:
                return


__all__ = ["Buffer", "JsonSyntaxError", "Mark"]
