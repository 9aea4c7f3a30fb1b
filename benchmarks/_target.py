"""The cycle scenarios' target tables and the baseline's link table (plain sqlite3).

The target is the ``SQL Target`` directory of ``schemas/users_groups_sql.json``: tables ``target_users``
and ``target_groups``, one column per target attribute (anchor ``id``), reference lists (members) as JSON
text. Both idsync (through the ``sql`` connector) and the baseline write into the same layout. The link
table holds source id -> target id plus the last exported values (the "essence"), as idsync's state does.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

SCHEMA_FILE = "users_groups_sql.json"
TARGET_TABLES = {"User": "target_users", "Group": "target_groups"}


def schema_path() -> Path:
    return Path(str(resources.files("benchmarks") / "schemas" / SCHEMA_FILE))


@cache
def target_columns(object_type: str) -> tuple[str, ...]:
    """The target attributes of ``object_type`` as the schema's ``SQL Target`` directory defines them."""
    schema = json.loads(schema_path().read_text(encoding="utf-8"))
    directory = next(d for d in schema["directories"] if d["name"] == "SQL Target")
    definition = next(o for o in directory["objects"] if o["name"] == object_type)
    return tuple(a["name"] for a in definition["attributes"])


def create_target(path: Path) -> None:
    """Empty target tables (anchor ``id`` as primary key, an index on each matching attribute)."""
    connection = sqlite3.connect(path)
    try:
        with connection:
            for object_type, table in TARGET_TABLES.items():
                columns = ", ".join(
                    f'"{c}" TEXT PRIMARY KEY' if c == "id" else f'"{c}" TEXT'
                    for c in target_columns(object_type)
                )
                connection.execute(f'CREATE TABLE IF NOT EXISTS "{table}" ({columns})')
            connection.execute(
                'CREATE INDEX IF NOT EXISTS target_users_userName ON target_users ("userName")'
            )
            connection.execute(
                'CREATE INDEX IF NOT EXISTS target_groups_displayName ON target_groups ("displayName")'
            )
    finally:
        connection.close()


def _cell(value: Any) -> Any:
    return json.dumps(value, ensure_ascii=False) if isinstance(value, list) else value


def insert_rows(
    connection: sqlite3.Connection, object_type: str, rows: Sequence[tuple[str, str, dict[str, Any]]]
) -> None:
    """Insert ``(source id, target id, values)`` rows into the target table of ``object_type``."""
    columns = target_columns(object_type)
    names = ", ".join(f'"{c}"' for c in columns)
    marks = ", ".join("?" * len(columns))
    statement = f'INSERT INTO "{TARGET_TABLES[object_type]}" ({names}) VALUES ({marks})'
    connection.executemany(
        statement,
        [
            tuple(target_id if c == "id" else _cell(values.get(c)) for c in columns)
            for _, target_id, values in rows
        ],
    )


MATCHING = {"User": "userName", "Group": "displayName"}


def match_existing(connection: sqlite3.Connection, object_type: str, values: Sequence[str]) -> dict[str, str]:
    """Matching (spec §D.2) for a batch: matching value -> target id of the rows that already hold it."""
    if not values:
        return {}
    column, marks = MATCHING[object_type], ", ".join("?" * len(values))
    query = f'SELECT "{column}", "id" FROM "{TARGET_TABLES[object_type]}" WHERE "{column}" IN ({marks})'
    return dict(connection.execute(query, list(values)).fetchall())


def open_state(path: Path) -> sqlite3.Connection:
    connection = sqlite3.connect(path)
    connection.execute(
        "CREATE TABLE IF NOT EXISTS links (source_id TEXT PRIMARY KEY, object_type TEXT NOT NULL,"
        " target_id TEXT NOT NULL UNIQUE, essence TEXT NOT NULL)"
    )
    connection.execute(
        "CREATE TABLE IF NOT EXISTS watermark (id INTEGER PRIMARY KEY CHECK (id = 1), cursor TEXT)"
    )
    return connection


def save_watermark(connection: sqlite3.Connection, cursor: str | None) -> None:
    connection.execute("INSERT OR REPLACE INTO watermark (id, cursor) VALUES (1, ?)", (cursor,))


def load_watermark(connection: sqlite3.Connection) -> str | None:
    row = connection.execute("SELECT cursor FROM watermark WHERE id = 1").fetchone()
    return None if row is None else row[0]


def insert_links(
    connection: sqlite3.Connection, object_type: str, rows: Sequence[tuple[str, str, dict[str, Any]]]
) -> None:
    connection.executemany(
        "INSERT INTO links (source_id, object_type, target_id, essence) VALUES (?, ?, ?, ?)",
        [(source_id, object_type, target_id, json.dumps(values)) for source_id, target_id, values in rows],
    )


def load_essences(connection: sqlite3.Connection) -> dict[str, dict[str, Any]]:
    return {
        source_id: json.loads(essence)
        for source_id, essence in connection.execute("SELECT source_id, essence FROM links")
    }


def essences_for(
    connection: sqlite3.Connection, source_ids: Sequence[str]
) -> dict[str, tuple[str, dict[str, Any]]]:
    """source id -> (target id, essence) for the linked ones among ``source_ids`` (one query per batch)."""
    marks = ", ".join("?" * len(source_ids))
    query = f"SELECT source_id, target_id, essence FROM links WHERE source_id IN ({marks})"
    return {s: (t, json.loads(e)) for s, t, e in connection.execute(query, list(source_ids))}


def apply_updates(
    target: sqlite3.Connection,
    state: sqlite3.Connection,
    updates: Sequence[tuple[str, dict[str, Any], dict[str, Any]]],
) -> None:
    """``(target id, changed values, new essence)``: update the changed user columns and the essence."""
    for target_id, changes, _ in updates:
        assignments = ", ".join(f'"{name}" = ?' for name in changes)
        target.execute(
            f'UPDATE "target_users" SET {assignments} WHERE "id" = ?',
            [*map(_cell, changes.values()), target_id],
        )
    state.executemany(
        "UPDATE links SET essence = ? WHERE target_id = ?",
        [(json.dumps(essence), target_id) for target_id, _, essence in updates],
    )
