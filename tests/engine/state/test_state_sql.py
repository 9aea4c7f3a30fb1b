"""The state store's driver SQL: placeholders in each DBAPI paramstyle, and the delete-then-insert path
used where the database has no upsert."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from connectors import Watermark
from engine.state import Batch, Link, StateStore
from engine.state._sql import Sql


def sql_for(paramstyle: str, name: str = "other") -> Sql:
    dialect: Any = SimpleNamespace(paramstyle=paramstyle, name=name)
    return Sql(dialect)


@pytest.mark.parametrize(
    ("style", "expected", "bound"),
    [
        ("qmark", "a = ? AND b IN (?, ?)", (1, 2, 3)),
        ("format", "a = %s AND b IN (%s, %s)", (1, 2, 3)),
        ("pyformat", "a = %s AND b IN (%s, %s)", (1, 2, 3)),
        ("numeric", "a = :1 AND b IN (:2, :3)", (1, 2, 3)),
        ("numeric_dollar", "a = $1 AND b IN ($2, $3)", (1, 2, 3)),
        ("named", "a = :p1 AND b IN (:p2, :p3)", {"p1": 1, "p2": 2, "p3": 3}),
    ],
)
def test_placeholders_follow_the_driver(style: str, expected: str, bound: Any) -> None:
    sql = sql_for(style)
    assert sql.text("a = ? AND b IN (?, ?)") == expected
    assert sql._bind([1, 2, 3]) == bound


def test_upserts_only_where_the_database_has_them() -> None:
    assert sql_for("pyformat", "postgresql").upserts and sql_for("qmark", "sqlite").upserts
    assert not sql_for("format", "mysql").upserts


def test_without_upserts_rows_are_replaced_by_delete_then_insert(tmp_path: Path) -> None:
    store = StateStore(f"sqlite:///{tmp_path / 'state.db'}", "job")
    store._sql.upserts = False
    for name in ("first", "second"):
        batch = Batch()
        batch.link("m", Link("s1", "t1", {"displayName": name}))
        batch.link("m", Link(f"s-{name}", "t2"))
        batch.watermarks["m"] = Watermark(cursor=name)
        store.commit(batch)
    assert store.links("m", ["s1"])["s1"].essence == {"displayName": "second"}
    assert store.count_links() == {"m": 3}
    assert store.watermark("m") == Watermark(cursor="second")
    store.close()
