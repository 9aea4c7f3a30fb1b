"""Tables the SQL connector tests create (the directory a DBA would already have)."""

from __future__ import annotations

import sqlalchemy as sa

from connectors import Connector

from .contract import ContractSubject

SQLITE_TRACKED = [
    "CREATE TABLE users (id TEXT PRIMARY KEY, displayName TEXT, mail TEXT UNIQUE, otherMails TEXT,"
    " manager TEXT, updated_at DATETIME, deleted BOOLEAN)",
    "CREATE TABLE groups (id TEXT PRIMARY KEY, displayName TEXT, members TEXT, updated_at DATETIME,"
    " deleted BOOLEAN)",
]
SQLITE_PLAIN = [
    "CREATE TABLE users (id INTEGER PRIMARY KEY AUTOINCREMENT, displayName TEXT NOT NULL, mail TEXT UNIQUE,"
    " otherMails TEXT, manager TEXT)",
    "CREATE TABLE groups (id INTEGER PRIMARY KEY AUTOINCREMENT, displayName TEXT, members TEXT)",
]
POSTGRES_TRACKED = [
    "DROP TABLE IF EXISTS users, groups",
    'CREATE TABLE users (id TEXT PRIMARY KEY, "displayName" TEXT, mail TEXT UNIQUE, "otherMails" JSONB,'
    " manager TEXT, updated_at TIMESTAMPTZ, deleted BOOLEAN NOT NULL DEFAULT false)",
    'CREATE TABLE groups (id TEXT PRIMARY KEY, "displayName" TEXT, members JSONB, updated_at TIMESTAMPTZ,'
    " deleted BOOLEAN NOT NULL DEFAULT false)",
]

TRACKED_OBJECTS = {
    "User": {"table": "users", "anchor": "id", "changeColumn": "updated_at", "deletedColumn": "deleted"},
    "Group": {"table": "groups", "anchor": "id", "changeColumn": "updated_at", "deletedColumn": "deleted"},
}
PLAIN_OBJECTS = {"User": {"table": "users", "anchor": "id"}, "Group": {"table": "groups", "anchor": "id"}}


def create_tables(url: str, statements: list[str]) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        for statement in statements:
            conn.execute(sa.text(statement))
    engine.dispose()


def subject_for(connector: Connector) -> ContractSubject:
    return ContractSubject(connector)
