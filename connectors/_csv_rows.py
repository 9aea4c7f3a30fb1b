"""Parsing and writing the csv connector's files (pure: text in, rows and problems out; rows in, text out).

A file is a header row and one object per row. Empty cells are absent attributes; every value read is a
string (CSV has no types; the engine's expressions convert). With a ``multiValueSeparator``, the cells of the
``multiValueColumns`` (or, when no columns are listed, every cell holding the separator) are lists.

A malformed row -- a different number of cells than the header, an empty anchor, a repeated anchor, a stray
or unterminated quote, an oversized cell -- is skipped and reported as a ``RowProblem`` with its line number
and, when it can be read, its anchor, so the row is not taken for a deletion while it is broken
(``Parsed.protected``). When some broken row has no readable anchor, nobody's absence can be trusted:
``Parsed.absences_trusted`` is False.

An unclosed quote makes the csv module read on across line ends until the next quote: a record spanning
several lines whose quoted text holds a line that looks like a row of its own (as many delimiters as the
header has) is taken for that, reported with the lines it took in, and skipped without an anchor, so no
absence is trusted. Cells larger than ``CsvFormat.field_limit`` characters are unreadable rows too (the
limit is the csv module's, process-wide: it is raised to the largest limit any file was read with).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from ._directory import Attributes, value_text
from ._errors import ConnectorConfigError

FIELD_LIMIT = 16 * 1024 * 1024
"""The default largest cell, in characters (the csv module's own default is 128 KiB)."""


@dataclass(frozen=True)
class CsvFormat:
    anchor: str
    delimiter: str = ","
    separator: str | None = None
    multi_columns: frozenset[str] = frozenset()
    field_limit: int = FIELD_LIMIT

    def splits(self, column: str, cell: str) -> bool:
        if self.separator is None:
            return False
        return column in self.multi_columns or (not self.multi_columns and self.separator in cell)


@dataclass(frozen=True)
class RowProblem:
    """A row of the file that was skipped, and why (``line`` is where the row starts, 1 = the header)."""

    path: str
    line: int
    reason: str
    anchor: str | None = None

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.reason}; the row was skipped"


@dataclass
class Parsed:
    columns: list[str] = field(default_factory=list)
    rows: dict[str, Attributes] = field(default_factory=dict)
    problems: list[RowProblem] = field(default_factory=list)

    @property
    def protected(self) -> frozenset[str]:
        return frozenset(p.anchor for p in self.problems if p.anchor)

    @property
    def absences_trusted(self) -> bool:
        return all(p.anchor for p in self.problems)


def parse(text: str, fmt: CsvFormat, path: str) -> Parsed:
    """The rows of a csv file by anchor value; a broken header is a ``ConnectorConfigError``."""
    # strict: a stray or unterminated quote is an error for that row, not a silently merged value.
    if csv.field_size_limit() < fmt.field_limit:
        csv.field_size_limit(fmt.field_limit)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=fmt.delimiter, strict=True)
    parsed = Parsed()
    records = _records(reader, path, parsed.problems)
    header = next(records, None)
    if header is None:
        return parsed
    parsed.columns = _check_header(header[2], fmt, path)
    anchor_at = parsed.columns.index(fmt.anchor)
    for line, end, cells in records:
        if end > line and _swallowed(cells, fmt.delimiter, len(parsed.columns)):
            reason = f"an unclosed quote runs on to line {end}, taking in the rows between"
            parsed.problems.append(RowProblem(path, line, reason))
            continue
        _add_row(parsed, fmt, path, line, cells, anchor_at)
    return parsed


def _swallowed(cells: list[str], delimiter: str, columns: int) -> bool:
    """Whether a record read across line ends holds, inside a cell, a line that looks like a whole row."""
    if columns < 2:
        return False
    return any(
        line.count(delimiter) >= columns - 1
        for cell in cells
        if "\n" in cell
        for line in cell.splitlines()[1:]
    )


def _records(
    reader: Iterator[list[str]], path: str, problems: list[RowProblem]
) -> Iterator[tuple[int, int, list[str]]]:
    """(first line, last line, cells) of each record; unreadable ones become problems."""
    line_num = 0
    while True:
        start = line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            line_num = getattr(reader, "line_num", start)
            problems.append(RowProblem(path, start, f"unreadable row ({exc})"))
            continue
        line_num = getattr(reader, "line_num", start)
        if cells:  # a blank line is not a row
            yield start, line_num, cells


def _check_header(header: list[str], fmt: CsvFormat, path: str) -> list[str]:
    columns = [name.strip() for name in header]
    for number, name in enumerate(columns, 1):
        if not name:
            raise ConnectorConfigError(
                f"{path}:1: column {number} of the header row has no name", setting="path"
            )
        if columns.index(name) != number - 1:
            raise ConnectorConfigError(f"{path}:1: the header names column {name!r} twice", setting="path")
    if fmt.anchor not in columns:
        raise ConnectorConfigError(
            f"{path}:1: the header has no column {fmt.anchor!r} (columns: {', '.join(columns)})",
            setting="anchor",
        )
    return columns


def _add_row(parsed: Parsed, fmt: CsvFormat, path: str, line: int, cells: list[str], anchor_at: int) -> None:
    anchor = cells[anchor_at].strip() if len(cells) > anchor_at else ""
    problem = None
    if len(cells) != len(parsed.columns):
        problem = f"{len(cells)} cells where the header has {len(parsed.columns)}"
    elif not anchor:
        problem = f"the anchor column {fmt.anchor!r} is empty"
    elif anchor in parsed.rows:
        problem = f"{fmt.anchor} {anchor!r} was already given on an earlier line"
    if problem is not None:
        parsed.problems.append(RowProblem(path, line, problem, anchor or None))
        return
    # The cells are as many as the columns (checked above); empty ones are absent attributes.
    row: Attributes = {column: cell for column, cell in zip(parsed.columns, cells, strict=True) if cell}
    separator = fmt.separator
    if separator is not None:  # the lists (``CsvFormat.splits``)
        lists = fmt.multi_columns.intersection(row) or [
            c for c, cell in row.items() if not fmt.multi_columns and separator in str(cell)
        ]
        for column in lists:
            row[column] = [v for v in str(row[column]).split(separator) if v]
    row[fmt.anchor] = anchor
    parsed.rows[anchor] = row


def render(columns: Sequence[str], rows: Sequence[Attributes], fmt: CsvFormat) -> tuple[str, list[str]]:
    """The file's text for these rows and its columns: ``columns``, then new ones in order of appearance."""
    names = list(columns) or [fmt.anchor]
    for row in rows:
        names.extend(name for name in row if name not in names)
    out = io.StringIO(newline="")
    writer = csv.writer(out, delimiter=fmt.delimiter)
    writer.writerow(names)
    for row in rows:
        writer.writerow([cell_text(row.get(name), fmt) for name in names])
    return out.getvalue(), names


def cell_text(value: object, fmt: CsvFormat) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return (fmt.separator or "").join(value_text(v) for v in value)
    assert isinstance(value, str | bool | int | float)
    return value_text(value)


def unwritable(row: Attributes, fmt: CsvFormat) -> str | None:
    """Why ``row`` cannot be written faithfully (a complex value, a list without a separator, a value
    holding it), or None."""
    for name, value in row.items():
        if isinstance(value, dict) or (isinstance(value, list) and any(isinstance(v, dict) for v in value)):
            return (
                f"{name!r} holds a complex value (an object with members of its own), which a csv cell "
                "cannot hold; map it to a json or SCIM target, or map text made from it"
            )
        if not isinstance(value, list):
            continue
        if fmt.separator is None:
            return f"{name!r} has several values but the csv connector has no multiValueSeparator setting"
        for item in value:
            if fmt.separator in value_text(item) or value_text(item) == "":
                return f"{name!r}: the value {item!r} cannot be written with separator {fmt.separator!r}"
    return None
