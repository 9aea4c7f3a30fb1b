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


@pytest.mark.parametrize("utf8", [True, False])
def test_json_handed_over_as_utf8_is_stored_as_text(tmp_path: Path, utf8: bool) -> None:
    """On a UTF-8 SQLite database the JSON columns take orjson's bytes (``Sql.utf8``, bound through ``CAST(?
    AS TEXT)``): what is stored is text, the same text as the ``str`` path writes, and reads back alike."""
    from datetime import UTC, datetime

    from engine.state import Intent, PendingExport

    store = StateStore(f"sqlite:///{tmp_path / 'state.db'}", "job")
    assert store._sql.utf8  # a new SQLite file is UTF-8
    store._sql.utf8 = utf8
    now = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    store.record_intents(
        "m", [Intent("s2", (("userName", "zoë@x"),), now)], [PendingExport("s1", ("sn",), now)]
    )
    batch = Batch()
    batch.link("m", Link("s1", "t1", {"displayName": "Tomáš 東京 🙂"}, {"manager": "s2"}))
    batch.logs.append(
        {"id": "r1", "activityDateTime": now.isoformat(), "name": "Zoë", "changes": [("n", None, "Ø")]}
    )
    store.commit(batch)
    settled = Batch()
    settled.settle_references("m", Link("s1", "t1", {"displayName": "Ünïcode"}, {"manager": "s9"}), ["s9"])
    store.commit(settled)

    link = store.links("m", ["s1"])["s1"]
    assert link.essence == {"displayName": "Ünïcode"} and link.pending_refs == {"manager": "s9"}
    assert store.intents("m")[0].values == (("userName", "zoë@x"),)
    assert store.pending_exports("m")[0].attributes == ("sn",)
    assert store.logs()[0][1] == {
        "id": "r1",
        "activityDateTime": now.isoformat(),
        "name": "Zoë",
        "changes": [["n", None, "Ø"]],
    }
    with store._engine.connect() as conn:
        kinds = {
            table: {row[0] for row in store._sql.query(conn, f"SELECT typeof({column}) FROM {table}")}
            for table, column in (
                ("object_links", "essence"),
                ("object_links", "pending_refs"),
                ("intents", "data"),
                ("exports", "data"),
                ("provisioning_log", "data"),
            )
        }
        essence = store._sql.query(conn, "SELECT essence FROM object_links")[0][0]
    assert all(found == {"text"} for found in kinds.values()), kinds
    assert essence == '{"version":1,"values":{"displayName":"Ünïcode"}}'
    store.close()
