"""Updates go through statements compiled once per set of columns (``connectors.sql._statements``): values
of typed columns (a timestamp change column, a Boolean, a JSON list) are converted as SQLAlchemy converts
them, on SQLite (positional parameters) and PostgreSQL (named parameters), by the blind path and the reading
one alike."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from connectors import Change, ConnectorContext, Modification, Operation, ValueOp, create_connector
from connectors.sql import SqlConnector

from .sql_tables import POSTGRES_TRACKED, SQLITE_TRACKED, create_tables

OBJECTS = {"User": {"table": "users", "anchor": "id", "changeColumn": "updated_at"}}  # deleted: a plain flag


def _connector(url: str, statements: list[str], base: Path) -> SqlConnector:
    create_tables(url, statements)
    made = create_connector("sql", {"url": url, "objects": OBJECTS}, ConnectorContext("Db", base))
    assert isinstance(made, SqlConnector)
    return made


@pytest.fixture
def lite(tmp_path: Path) -> Iterator[SqlConnector]:
    made = _connector(f"sqlite:///{tmp_path / 'typed.db'}", SQLITE_TRACKED, tmp_path)
    yield made
    made.close()


@pytest.fixture
def pg(postgres_url: str, tmp_path: Path) -> Iterator[SqlConnector]:
    made = _connector(postgres_url, POSTGRES_TRACKED, tmp_path)
    yield made
    made.close()


def _change(operation: Operation, target: str | None, op: ValueOp, **values: tuple[object, ...]) -> Change:
    mods = tuple(Modification(name, op, vals) for name, vals in values.items())  # type: ignore[arg-type]
    return Change(operation, "User", target, mods, key=target or "new")


def _mails(row: dict[str, object]) -> object:
    mails = row["otherMails"]
    return mails if isinstance(mails, list) else json.loads(str(mails))  # JSONB, or JSON text on SQLite


def _row(made: SqlConnector, user_id: str) -> dict[str, object]:
    with made.database.connect() as conn:
        table = sa.Table("users", sa.MetaData(), autoload_with=conn)
        return dict(conn.execute(sa.select(table).where(table.c.id == user_id)).one()._mapping)


def _updates_keep_types(made: SqlConnector) -> None:
    [created] = made.apply(
        [_change(Operation.CREATE, None, ValueOp.REPLACE, id=("u1",), displayName=("Ann",))]
    )
    assert created.ok and created.target_id == "u1"
    before = _row(made, "u1")["updated_at"]
    blind = _change(
        Operation.UPDATE,
        "u1",
        ValueOp.REPLACE,
        otherMails=("a@x", "b@x"),
        deleted=(True,),
        displayName=("A",),
    )
    [result] = made.apply([blind])
    assert result.ok, result.error
    row = _row(made, "u1")
    assert row["displayName"] == "A" and row["deleted"] is True
    assert _mails(row) == ["a@x", "b@x"]
    stamped = row["updated_at"]
    assert isinstance(stamped, datetime) and isinstance(before, datetime) and stamped >= before
    [added] = made.apply([_change(Operation.UPDATE, "u1", ValueOp.ADD, otherMails=("c@x",))])  # reads first
    assert added.ok, added.error
    assert _mails(_row(made, "u1")) == ["a@x", "b@x", "c@x"]


def test_typed_values_are_updated_on_sqlite(lite: SqlConnector) -> None:
    _updates_keep_types(lite)


@pytest.mark.peer
def test_typed_values_are_updated_on_postgres(pg: SqlConnector) -> None:
    _updates_keep_types(pg)


def test_the_update_is_compiled_once_per_set_of_columns(lite: SqlConnector) -> None:
    lite.apply([_change(Operation.CREATE, None, ValueOp.REPLACE, id=(f"u{i}",)) for i in range(3)])
    for name in ("x", "y", "z"):
        lite.apply(
            [_change(Operation.UPDATE, f"u{i}", ValueOp.REPLACE, displayName=(name,)) for i in range(3)]
        )
    spec = lite._spec("User")
    assert [key[2] for key in spec.statements] == [("displayName", "updated_at")]
