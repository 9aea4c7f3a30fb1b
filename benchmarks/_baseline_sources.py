"""The baseline's source reading (plain ``json`` and ``sqlite3``): the decode step of a hand-written
pipeline, kept apart from the pipelines in ``benchmarks.baseline``."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator
from itertools import islice
from pathlib import Path
from typing import Any

from ._formats import CHANGE_COLUMN, GROUP_COLUMNS, LIST_COLUMNS, USER_COLUMNS

BATCH = 1000


def read_json(path: Path) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    with path.open(encoding="utf-8") as handle:
        document = json.load(handle)
    return document.get("User", []), document.get("Group", [])


def decode_row(columns: tuple[str, ...], row: tuple[Any, ...]) -> dict[str, Any]:
    record = dict(zip(columns, row, strict=True))
    for name in LIST_COLUMNS.intersection(columns):
        record[name] = json.loads(record[name]) if record[name] else []
    if "accountEnabled" in record and record["accountEnabled"] is not None:
        record["accountEnabled"] = bool(record["accountEnabled"])
    return record


def read_sqlite(
    path: Path, table: str, columns: tuple[str, ...], since: str | None
) -> Iterator[dict[str, Any]]:
    connection = sqlite3.connect(path)
    try:
        names = ", ".join(f'"{c}"' for c in columns)
        where, params = (f' WHERE "{CHANGE_COLUMN}" >= ?', (since,)) if since is not None else ("", ())
        for row in connection.execute(f'SELECT {names} FROM "{table}"{where}', params):
            yield decode_row(columns, row)
    finally:
        connection.close()


def source_records(path: Path) -> tuple[Iterable[dict[str, Any]], Iterable[dict[str, Any]]]:
    if path.suffix == ".json":
        return read_json(path)
    return read_sqlite(path, "users", USER_COLUMNS, None), read_sqlite(path, "groups", GROUP_COLUMNS, None)


def chunks(items: Iterable[Any], size: int = BATCH) -> Iterator[list[Any]]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


def max_change(source_db: Path) -> str | None:
    connection = sqlite3.connect(source_db)
    try:
        row = connection.execute(f'SELECT max("{CHANGE_COLUMN}") FROM "users"').fetchone()
    finally:
        connection.close()
    return None if row is None else row[0]
