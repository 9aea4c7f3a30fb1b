"""The contract suite on the sql connector over SQLite files: with a change and a deleted-flag column
(native change tracking), and without (integer anchors from the database, data-store comparison)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from connectors import ConnectorContext, create_connector

from .contract import ConnectorContract, ContractSubject
from .sql_tables import (
    PLAIN_OBJECTS,
    SQLITE_PLAIN,
    SQLITE_TRACKED,
    TRACKED_OBJECTS,
    create_tables,
    subject_for,
)


class TestSqliteTrackedContract(ConnectorContract):
    @pytest.fixture
    def subject(self, tmp_path: Path) -> Iterator[ContractSubject]:
        create_tables(f"sqlite:///{tmp_path / 'dir.db'}", SQLITE_TRACKED)
        settings = {"url": "sqlite:///dir.db", "objects": TRACKED_OBJECTS}
        connector = create_connector("sql", settings, ConnectorContext("Db", base_dir=tmp_path))
        yield subject_for(connector)
        connector.close()


class TestSqlitePlainContract(ConnectorContract):
    @pytest.fixture
    def subject(self, tmp_path: Path) -> Iterator[ContractSubject]:
        create_tables(f"sqlite:///{tmp_path / 'dir.db'}", SQLITE_PLAIN)
        settings = {"url": f"sqlite:///{tmp_path / 'dir.db'}", "objects": PLAIN_OBJECTS}
        connector = create_connector("sql", settings, ConnectorContext("Db"))
        yield subject_for(connector)
        connector.close()
