"""Replace-only updates are written without reading the rows first; a missing row or a refused value still
gets its own rejection while the rest of the batch is written."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from connectors import Change, Modification, ObjectRejected, Operation, ValueOp

from .test_sql import db, insert, sql

__all__ = ["db"]  # the fixture, imported for pytest


def _replace(target_id: str, **values: object) -> Change:
    mods = tuple(Modification(k, ValueOp.REPLACE, (v,) if v is not None else ()) for k, v in values.items())
    return Change(Operation.UPDATE, "User", target_id=target_id, modifications=mods, key=target_id)


def _names(db: sa.Engine) -> dict[str, str | None]:
    with db.connect() as conn:
        return {row.id: row.name for row in conn.execute(sa.text("SELECT id, name FROM users ORDER BY id"))}


def test_replace_only_updates_are_written_and_report_the_stored_ids(db: sa.Engine, tmp_path: Path) -> None:
    insert(db, {"id": "u1", "name": "Ann"}, {"id": "u2", "name": "Bob"})
    results = sql(tmp_path).apply([_replace("u1", name="Anna"), _replace("u2", name=None)])
    assert [(r.ok, r.target_id) for r in results] == [(True, "u1"), (True, "u2")]
    assert _names(db) == {"u1": "Anna", "u2": None}


def test_a_missing_row_is_rejected_alone(db: sa.Engine, tmp_path: Path) -> None:
    insert(db, {"id": "u1", "name": "Ann"}, {"id": "u3", "name": "Cy"})
    results = sql(tmp_path).apply(
        [_replace("u1", name="A"), _replace("u2", name="B"), _replace("u3", name="C")]
    )
    assert [r.ok for r in results] == [True, False, True]
    assert isinstance(results[1].error, ObjectRejected) and "u2" in str(results[1].error)
    assert _names(db) == {"u1": "A", "u3": "C"}


def test_a_refused_value_is_rejected_alone(db: sa.Engine, tmp_path: Path) -> None:
    insert(db, {"id": "u1", "age": 1}, {"id": "u2", "age": 2})
    results = sql(tmp_path).apply([_replace("u1", age=30), _replace("u2", age="not a number")])
    assert [r.ok for r in results] == [True, False]
    with db.connect() as conn:
        assert conn.execute(sa.text("SELECT age FROM users WHERE id = 'u1'")).scalar_one() == 30
