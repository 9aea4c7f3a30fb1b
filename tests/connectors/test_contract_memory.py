"""The contract suite on the memory connector."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from connectors import ConnectorContext, create_connector

from .contract import ConnectorContract, ContractSubject


class TestMemoryContract(ConnectorContract):
    @pytest.fixture
    def subject(self) -> Iterator[ContractSubject]:
        connector = create_connector(
            "memory", {"multiValued": ["members", "otherMails"]}, ConnectorContext("Mem")
        )
        yield ContractSubject(connector)
        connector.close()
