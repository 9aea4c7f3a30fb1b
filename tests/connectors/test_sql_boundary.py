"""Incremental reads at the watermark's cursor (``connectors.sql._changes``): the rows the last read
delivered at that value are recognised by their anchors alone and never read whole again; rows stamped
with the same value since are delivered; anchors compare as exact text whatever the column's collation."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from connectors import ConnectorContext, DirectoryObject, Watermark, create_connector
from connectors.sql import SqlConnector, _changes

from .datastore import drain
from .test_sql import db, execute, insert, sql

__all__ = ["db"]  # the fixture, imported for pytest


@pytest.fixture
def whole(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The ids of the rows an incremental read fetched whole (every column) from the table."""
    seen: list[str] = []
    convert, page = _changes.row_objects, _changes._change_rows

    def objects(spec: Any, rows: Any) -> list[DirectoryObject]:
        seen.extend(str(r._mapping[spec.anchor]) for r in rows)
        return convert(spec, rows)

    def rows(*args: Any) -> Any:
        found = page(*args)
        seen.extend(f"page:{r._mapping['id']}" for r in found)
        return found

    monkeypatch.setattr(_changes, "row_objects", objects)
    monkeypatch.setattr(_changes, "_change_rows", rows)
    return seen


def test_a_bulk_at_the_cursor_is_not_read_whole_again(
    db: sa.Engine, tmp_path: Path, whole: list[str]
) -> None:
    insert(db, *({"id": f"b{i:02d}", "version": 5} for i in range(50)))
    connector = sql(tmp_path, changeColumn="version")
    _, mark = drain(connector.read("User", page_size=20))
    assert mark == Watermark(5, frozenset(f"b{i:02d}" for i in range(50)))
    insert(db, {"id": "n1", "version": 6})
    objects, after = drain(connector.read("User", mark, page_size=20))
    assert [o.id for o in objects] == ["n1"] and after == Watermark(6, frozenset({"n1"}))
    assert whole == ["page:n1", "n1"]  # the 50 rows at the cursor were only looked at by their anchors


def test_a_row_stamped_at_the_cursor_after_the_read_is_delivered(
    db: sa.Engine, tmp_path: Path, whole: list[str]
) -> None:
    insert(db, {"id": "u1", "version": 3}, {"id": "u2", "version": 3})
    connector = sql(tmp_path, changeColumn="version")
    _, mark = drain(connector.read("User"))
    insert(db, {"id": "u3", "version": 3})  # the same value, after the read
    execute(db, "UPDATE users SET name = 'Ann', version = 4 WHERE id = 'u1'")
    objects, after = drain(connector.read("User", mark, page_size=1))
    assert [(o.id, o.cursor) for o in objects] == [("u3", 3), ("u1", 4)]
    assert after == Watermark(4, frozenset({"u1"}))
    assert whole == ["u3", "page:u1", "u1"]


def test_nothing_new_keeps_the_watermark(db: sa.Engine, tmp_path: Path, whole: list[str]) -> None:
    insert(db, {"id": "u1", "version": 3})
    connector = sql(tmp_path, changeColumn="version")
    _, mark = drain(connector.read("User"))
    objects, after = drain(connector.read("User", mark))
    assert objects == [] and after == mark and whole == []
    execute(db, "DELETE FROM users")  # the largest stamp is now below the cursor: nothing to read
    assert drain(connector.read("User", mark)) == ([], mark)


def test_anchors_compare_as_exact_text_under_a_case_blind_collation(tmp_path: Path) -> None:
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'people.db'}")
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE people (id TEXT COLLATE NOCASE, version INTEGER)"))
        conn.execute(sa.text("INSERT INTO people VALUES ('abc', 3)"))
    objects = {"User": {"table": "people", "anchor": "id", "changeColumn": "version"}}
    made = create_connector(
        "sql", {"url": "sqlite:///people.db", "objects": objects}, ConnectorContext("Db", tmp_path)
    )
    assert isinstance(made, SqlConnector)
    _, mark = drain(made.read("User"))
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO people VALUES ('ABC', 3)"))
    delivered, after = drain(made.read("User", mark))
    assert [o.id for o in delivered] == ["ABC"]  # 'abc' was delivered; the database calls them equal
    assert after == Watermark(3, frozenset({"abc", "ABC"}))
    made.close()
    engine.dispose()
