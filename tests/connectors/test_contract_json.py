"""The contract suite on the json connector (a file in a temporary folder)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from connectors import ConnectorContext, create_connector

from .contract import ConnectorContract, ContractSubject


class TestJsonContract(ConnectorContract):
    @pytest.fixture
    def subject(self, tmp_path: Path) -> Iterator[ContractSubject]:
        settings = {"path": "directory.json", "multiValued": ["members", "otherMails"]}
        connector = create_connector("json", settings, ConnectorContext("Json", base_dir=tmp_path))
        yield ContractSubject(connector)
        connector.close()
