"""The contract suite on the sql connector over a throwaway PostgreSQL cluster (JSONB list columns,
timestamptz change column, Boolean deleted flag), plus an unreachable server."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from connectors import Connector, ConnectorContext, create_connector
from tests.peers import free_port

from .contract import ConnectorContract, ContractSubject
from .sql_tables import POSTGRES_TRACKED, TRACKED_OBJECTS, create_tables


def unreachable() -> Connector:
    url = f"postgresql+psycopg://test@127.0.0.1:{free_port()}/test"
    return create_connector("sql", {"url": url, "objects": TRACKED_OBJECTS}, ConnectorContext("Db"))


@pytest.mark.peer
class TestPostgresContract(ConnectorContract):
    @pytest.fixture
    def subject(self, postgres_url: str) -> Iterator[ContractSubject]:
        create_tables(postgres_url, POSTGRES_TRACKED)
        connector = create_connector(
            "sql", {"url": postgres_url, "objects": TRACKED_OBJECTS}, ConnectorContext("Db")
        )
        yield ContractSubject(connector, unreachable=unreachable, unreachable_seconds=10)
        connector.close()
