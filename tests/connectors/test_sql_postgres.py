"""PostgreSQL specifics of the sql connector: JSONB list columns in lookups, timestamptz cursors."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from connectors import Change, ConnectorContext, Modification, Operation, ValueOp, create_connector
from connectors.sql import SqlConnector

from .datastore import drain
from .sql_tables import POSTGRES_TRACKED, TRACKED_OBJECTS, create_tables


@pytest.fixture
def pg(postgres_url: str) -> Iterator[SqlConnector]:
    create_tables(postgres_url, POSTGRES_TRACKED)
    made = create_connector("sql", {"url": postgres_url, "objects": TRACKED_OBJECTS}, ConnectorContext("Db"))
    assert isinstance(made, SqlConnector)
    yield made
    made.close()


def user(token: str, *mails: str) -> Change:
    mods = (
        Modification("mail", ValueOp.REPLACE, (f"{token}@x",)),
        Modification("otherMails", ValueOp.REPLACE, mails),
    )
    return Change(Operation.CREATE, "User", modifications=mods, key=token)


@pytest.mark.peer
def test_find_on_a_jsonb_list_column_matches_any_value(pg: SqlConnector) -> None:
    a, b = (r.target_id for r in pg.apply([user("a", "one@x", "two@x"), user("b", "two@x")]))
    found = pg.find("User", "otherMails", ["two@x", "one@x", "none@x"])
    assert {k: sorted(o.id for o in v) for k, v in found.items()} == {"two@x": sorted([a, b]), "one@x": [a]}


@pytest.mark.peer
def test_timestamptz_cursor_round_trips_through_the_watermark(pg: SqlConnector) -> None:
    [first] = pg.apply([user("c")])
    _, mark = drain(pg.read("User"))
    assert mark is not None and isinstance(mark.cursor, str) and mark.cursor.endswith("+00:00")
    assert mark.boundary_ids == {first.target_id}
    [second] = pg.apply([user("d")])
    changed, _ = drain(pg.read("User", mark))
    assert [o.id for o in changed] == [second.target_id]
