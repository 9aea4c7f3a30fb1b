"""The sql connector on SQLite: settings errors, change-column reads (boundaries, signpost, counters),
deleted flags, per-row failures in batched writes, value conversion, error mapping, describe."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import exc as sa_exc

from connectors import (
    Change,
    ConnectionFailed,
    ConnectorConfigError,
    ConnectorContext,
    Modification,
    ObjectConflict,
    ObjectRejected,
    Operation,
    RetriableConnectorError,
    ValueOp,
    Watermark,
    create_connector,
)
from connectors.sql import SqlConnector
from connectors.sql._values import sql_errors

from .datastore import DictStore, drain

USERS = (
    "CREATE TABLE users (id TEXT PRIMARY KEY, name TEXT COLLATE NOCASE, mail TEXT UNIQUE, age INTEGER,"
    " active BOOLEAN, hired DATETIME, tags TEXT, version INTEGER, gone INTEGER,"
    " note TEXT NOT NULL DEFAULT '')"
)


@pytest.fixture
def db(tmp_path: Path) -> Iterator[sa.Engine]:
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'hr.db'}")
    with engine.begin() as conn:
        conn.execute(sa.text(USERS))
    yield engine
    engine.dispose()


def sql(tmp_path: Path, **user: Any) -> SqlConnector:
    objects = {"User": {"table": "users", "anchor": "id", **user}}
    made = create_connector(
        "sql", {"url": "sqlite:///hr.db", "objects": objects}, ConnectorContext("Db", tmp_path)
    )
    assert isinstance(made, SqlConnector)
    return made


def insert(db: sa.Engine, *rows: dict[str, Any]) -> None:
    with db.begin() as conn:
        for row in rows:
            names = ", ".join(row)
            conn.execute(
                sa.text(f"INSERT INTO users ({names}) VALUES ({', '.join(':' + n for n in row)})"), row
            )


def execute(db: sa.Engine, statement: str) -> None:
    with db.begin() as conn:
        conn.execute(sa.text(statement))


def create(**values: Any) -> Change:
    mods = tuple(Modification(k, ValueOp.REPLACE, (v,)) for k, v in values.items())
    return Change(Operation.CREATE, "User", modifications=mods, key=str(values.get("id", "")))


# -- settings ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("settings", "setting"),
    [
        ({"objects": {"User": {"table": "users", "anchor": "id"}}}, "url"),
        ({"url": "nonsense://", "objects": {"User": {"table": "users", "anchor": "id"}}}, "url"),
        ({"url": "sqlite://"}, "objects"),
        ({"url": "sqlite://", "objects": {"User": {"table": "users"}}}, "objects.User.anchor"),
        ({"url": "sqlite://", "objects": {"User": {"table": "t", "anchor": "id", "x": 1}}}, "objects.User"),
    ],
)
def test_bad_settings_name_the_setting(settings: dict[str, Any], setting: str) -> None:
    with pytest.raises(ConnectorConfigError) as caught:
        create_connector("sql", settings, ConnectorContext("Db"))
    assert caught.value.setting == setting


def test_missing_table_and_columns_name_the_setting(db: sa.Engine, tmp_path: Path) -> None:
    with pytest.raises(ConnectorConfigError, match="no table or view 'people'") as caught:
        create_connector(
            "sql",
            {"url": "sqlite:///hr.db", "objects": {"User": {"table": "people", "anchor": "id"}}},
            ConnectorContext("Db", tmp_path),
        ).get("User", ["1"])
    assert caught.value.setting == "objects.User.table"
    with pytest.raises(ConnectorConfigError, match="no column 'stamp'") as caught:
        sql(tmp_path, changeColumn="stamp").validate_credentials()
    assert caught.value.setting == "objects.User.changeColumn"
    with pytest.raises(ConnectorConfigError, match="no table is configured for 'Group'"):
        sql(tmp_path).get("Group", ["1"])


def test_relative_sqlite_file_is_relative_to_the_job_folder(db: sa.Engine, tmp_path: Path) -> None:
    insert(db, {"id": "u1", "name": "Ann"})
    assert list(sql(tmp_path).get("User", ["u1"])) == ["u1"]


def test_unopenable_database_is_a_fatal_connection_error(tmp_path: Path) -> None:
    objects = {"User": {"table": "users", "anchor": "id"}}
    url = f"sqlite:///{tmp_path / 'missing-folder' / 'x.db'}"
    with pytest.raises(ConnectionFailed, match="unable to open database file"):
        create_connector(
            "sql", {"url": url, "objects": objects}, ConnectorContext("Db")
        ).validate_credentials()


# -- reading changes --------------------------------------------------------------------------------------


def test_rows_at_one_timestamp_across_pages_are_delivered_exactly_once(db: sa.Engine, tmp_path: Path) -> None:
    same = "2026-01-01 00:00:00.000000"
    insert(db, *({"id": f"u{i}", "name": f"n{i}", "hired": same} for i in range(5)))
    connector = sql(tmp_path, changeColumn="hired")
    first, mark = drain(connector.read("User", page_size=2))
    assert sorted(o.id for o in first) == [f"u{i}" for i in range(5)]
    assert mark is not None and mark.boundary_ids == frozenset(f"u{i}" for i in range(5))
    again, mark2 = drain(connector.read("User", mark, page_size=2))
    assert again == [] and mark2 == mark
    insert(db, {"id": "u9", "name": "late, same time", "hired": same})
    late, mark3 = drain(connector.read("User", mark2, page_size=2))
    assert [o.id for o in late] == ["u9"] and mark3 is not None and "u9" in mark3.boundary_ids


def test_incremental_pages_carry_safe_increasing_watermarks(db: sa.Engine, tmp_path: Path) -> None:
    insert(db, *({"id": f"u{i}", "version": i} for i in range(1, 8)))
    connector = sql(tmp_path, changeColumn="version")
    pages = list(connector.read("User", Watermark(3, frozenset({"u3"})), page_size=2))
    # The boundary row u3 is looked at by its anchor alone and takes no place in a page; the last full
    # page is followed by an empty one that confirms the end.
    assert [[o.id for o in p.objects] for p in pages] == [["u4", "u5"], ["u6", "u7"], []]
    assert [p.watermark.cursor if p.watermark else None for p in pages] == [5, 7, 7]


def test_changes_after_the_read_began_wait_for_the_next_cycle(db: sa.Engine, tmp_path: Path) -> None:
    insert(db, {"id": "u1", "version": 1}, {"id": "u2", "version": 2}, {"id": "u3", "version": 3})
    connector = sql(tmp_path, changeColumn="version")
    pages = connector.read("User", Watermark(1, frozenset({"u1"})), page_size=1)
    first = next(pages)
    insert(db, {"id": "u4", "version": 4})
    rest = list(pages)
    seen = [o.id for p in [first, *rest] for o in p.objects]
    assert seen == ["u2", "u3"]
    final = rest[-1].watermark
    assert final is not None and final.cursor == 3
    later, _ = drain(connector.read("User", final))
    assert [o.id for o in later] == ["u4"]


def test_full_read_with_change_column_only_promises_a_watermark_at_its_end(
    db: sa.Engine, tmp_path: Path
) -> None:
    insert(db, *({"id": f"u{i}", "version": i} for i in range(5)))
    pages = list(sql(tmp_path, changeColumn="version").read("User", page_size=2))
    assert [p.watermark for p in pages[:-1]] == [None] * (len(pages) - 1)
    assert pages[-1].watermark == Watermark(4, frozenset({"u4"}))


def test_deleted_flag_rows_are_tombstones_and_hidden_elsewhere(db: sa.Engine, tmp_path: Path) -> None:
    insert(db, {"id": "u1", "name": "A", "version": 1, "gone": 0}, {"id": "u2", "name": "B", "version": 1})
    connector = sql(tmp_path, changeColumn="version", deletedColumn="gone")
    _, mark = drain(connector.read("User"))
    execute(db, "UPDATE users SET gone = 1, version = 2 WHERE id = 'u1'")
    changes, _ = drain(connector.read("User", mark))
    assert [(o.id, o.deleted, dict(o.attributes)) for o in changes] == [("u1", True, {})]
    assert [o.id for o in drain(connector.read("User"))[0]] == ["u2"]
    assert connector.get("User", ["u1"]) == {} and connector.find("User", "name", ["A"]) == {}


def test_without_a_change_column_hard_deletes_are_found_through_the_store(
    db: sa.Engine, tmp_path: Path
) -> None:
    insert(db, {"id": "u1", "tags": '["a", "b"]'}, {"id": "u2"})
    connector, store = sql(tmp_path), DictStore()
    first, mark = drain(connector.read("User", store=store), store)
    assert [o.attributes.get("tags") for o in first] == [["a", "b"], None]
    execute(db, "DELETE FROM users WHERE id = 'u2'")
    changes, _ = drain(connector.read("User", mark, store=store), store)
    assert [(o.id, o.deleted) for o in changes] == [("u2", True)]


def test_a_view_reads_like_a_table(db: sa.Engine, tmp_path: Path) -> None:
    insert(db, {"id": "u1", "name": "Ann", "active": True}, {"id": "u2", "name": "Bob", "active": False})
    execute(db, "CREATE VIEW active_users AS SELECT id, name FROM users WHERE active")
    objects = {"User": {"table": "active_users", "anchor": "id"}}
    view = create_connector(
        "sql", {"url": "sqlite:///hr.db", "objects": objects}, ConnectorContext("Db", tmp_path)
    )
    assert [(o.id, dict(o.attributes)) for o in drain(view.read("User"))[0]] == [
        ("u1", {"id": "u1", "name": "Ann"})
    ]


# -- writing ----------------------------------------------------------------------------------------------


def test_one_conflicting_row_is_rejected_and_the_rest_of_the_batch_written(
    db: sa.Engine, tmp_path: Path
) -> None:
    connector = sql(tmp_path)
    results = connector.apply(
        [create(id="a", mail="x@x"), create(id="b", mail="x@x"), create(id="c", mail="y@x")]
    )
    assert [r.ok for r in results] == [True, False, True]
    assert isinstance(results[1].error, ObjectConflict) and "UNIQUE" in str(results[1].error)
    assert sorted(connector.get("User", ["a", "b", "c"])) == ["a", "c"]


def test_values_are_converted_to_column_types_or_rejected(db: sa.Engine, tmp_path: Path) -> None:
    connector = sql(tmp_path)
    ok, bad_int, bad_bool, unknown = connector.apply(
        [
            create(id="a", age="42", active="true", hired="2026-03-01T10:00:00Z"),
            create(id="b", age="forty"),
            create(id="c", active="maybe"),
            create(id="d", shoeSize="44"),
        ]
    )
    assert ok.ok
    assert connector.get("User", ["a"])["a"].attributes["age"] == 42
    assert connector.get("User", ["a"])["a"].attributes["active"] is True
    assert str(connector.get("User", ["a"])["a"].attributes["hired"]).startswith("2026-03-01T10:00:00")
    assert isinstance(bad_int.error, ObjectRejected) and "'age'" in str(bad_int.error)
    assert isinstance(bad_bool.error, ObjectRejected) and "'active'" in str(bad_bool.error)
    assert isinstance(unknown.error, ObjectRejected) and "no column 'shoeSize'" in str(unknown.error)


def test_multi_valued_edits_work_on_the_stored_json_list(db: sa.Engine, tmp_path: Path) -> None:
    connector = sql(tmp_path)
    connector.apply([create(id="a")])
    add = Change(Operation.UPDATE, "User", "a", (Modification("tags", ValueOp.ADD, ("x", "y, z")),))
    remove = Change(Operation.UPDATE, "User", "a", (Modification("tags", ValueOp.REMOVE, ("x",)),))
    assert all(r.ok for r in connector.apply([add]))
    with db.connect() as conn:
        assert conn.execute(sa.text("SELECT tags FROM users")).scalar() == '["x", "y, z"]'
    assert all(r.ok for r in connector.apply([remove]))
    assert connector.get("User", ["a"])["a"].attributes["tags"] == ["y, z"]


def test_the_anchor_cannot_change_and_deletes_are_idempotent(db: sa.Engine, tmp_path: Path) -> None:
    connector = sql(tmp_path, changeColumn="hired", deletedColumn="gone")
    connector.apply([create(id="a")])
    rename = Change(Operation.UPDATE, "User", "a", (Modification("id", ValueOp.REPLACE, ("b",)),))
    assert isinstance(connector.apply([rename])[0].error, ObjectRejected)
    delete = Change(Operation.DELETE, "User", "a")
    assert [r.ok for r in connector.apply([delete, delete, Change(Operation.DELETE, "User", "nope")])] == [
        True
    ] * 3
    with db.connect() as conn:
        assert conn.execute(sa.text("SELECT gone FROM users WHERE id = 'a'")).scalar() == 1


def test_find_is_exact_even_on_a_case_insensitive_column(db: sa.Engine, tmp_path: Path) -> None:
    insert(db, {"id": "u1", "name": "Ann"}, {"id": "u2", "name": "ANN"})
    found = sql(tmp_path).find("User", "name", ["Ann", "nobody"])
    assert {k: [o.id for o in v] for k, v in found.items()} == {"Ann": ["u1"]}
    with pytest.raises(ConnectorConfigError, match="has no such column") as caught:
        sql(tmp_path).find("User", "noSuchColumn", ["x"])
    assert caught.value.policy == "fatal"


def test_describe_maps_column_types(db: sa.Engine, tmp_path: Path) -> None:
    [user] = sql(tmp_path).describe()["objects"]
    kinds = {a["name"]: (a["type"], a["anchor"], a["required"]) for a in user["attributes"]}
    assert kinds["id"] == ("String", True, True)
    assert kinds["age"] == ("Integer", False, False)
    assert kinds["active"] == ("Boolean", False, False)
    assert kinds["hired"] == ("DateTime", False, False)
    assert kinds["note"] == ("String", False, False)  # NOT NULL but has a default


# -- error mapping ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (sa_exc.OperationalError("s", {}, Exception("database is locked")), RetriableConnectorError),
        (sa_exc.OperationalError("s", {}, Exception("connection refused")), ConnectionFailed),
        (sa_exc.IntegrityError("s", {}, Exception("UNIQUE constraint failed")), ObjectConflict),
        (sa_exc.DataError("s", {}, Exception("value too long")), ObjectRejected),
    ],
)
def test_sqlalchemy_errors_are_classified(error: Exception, expected: type[Exception]) -> None:
    with pytest.raises(expected) as caught, sql_errors("doing it"):
        raise error
    assert str(caught.value).startswith("[sql] doing it: ")
    assert " s" not in str(caught.value), "no statement text in the message"


def test_find_matches_any_value_of_a_multi_valued_text_column(db: sa.Engine, tmp_path: Path) -> None:
    insert(
        db,
        {"id": "u1", "tags": '["a_b", "100%"]'},
        {"id": "u2", "tags": '["aXb"]'},
        {"id": "u3", "tags": "a_b"},
    )
    found = sql(tmp_path).find("User", "tags", ["a_b", "100%", "b"])
    assert {k: sorted(o.id for o in v) for k, v in found.items()} == {"a_b": ["u1", "u3"], "100%": ["u1"]}


def test_hard_deletes_beside_a_change_column_are_found_through_the_store(
    db: sa.Engine, tmp_path: Path
) -> None:
    insert(db, {"id": "u1", "version": 1}, {"id": "u2", "version": 1}, {"id": "u3", "version": 2})
    connector, store = sql(tmp_path, changeColumn="version"), DictStore()
    _, mark = drain(connector.read("User", page_size=2, store=store), store)
    assert set(store.data) == {"u1", "u2", "u3"}
    execute(db, "DELETE FROM users WHERE id IN ('u1', 'u3')")
    insert(db, {"id": "u4", "version": 3})
    pages = list(connector.read("User", mark, page_size=1, store=store))
    for page in pages:
        store.commit(page)
    delivered = [[(o.id, o.deleted) for o in p.objects] for p in pages if p.objects]
    assert delivered == [[("u4", False)], [("u1", True)], [("u3", True)]]
    assert all(p.watermark == pages[-1].watermark for p in pages[1:]), (
        "tombstones ride at the final watermark"
    )
    assert set(store.data) == {"u2", "u4"}
    execute(db, "DELETE FROM users WHERE id = 'u2'")
    _, _ = drain(connector.read("User", page_size=5, store=store), store)
    assert set(store.data) == {"u4"}, "a full read forgets ids that are gone"
