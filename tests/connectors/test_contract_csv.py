"""The contract suite on the csv connector (users only; a file in a temporary folder)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from connectors import ConnectorContext, Scalar, create_connector

from .contract import ConnectorContract, ContractSubject


def employee_id(object_type: str, token: str) -> dict[str, tuple[Scalar, ...]]:
    return {"employeeId": (token,)}


class TestCsvContract(ConnectorContract):
    @pytest.fixture
    def subject(self, tmp_path: Path) -> Iterator[ContractSubject]:
        settings = {
            "path": "people.csv",
            "anchor": "employeeId",
            "multiValueSeparator": ";",
            "multiValueColumns": ["otherMails"],
        }
        connector = create_connector("csv", settings, ConnectorContext("HR", base_dir=tmp_path))
        yield ContractSubject(connector, extra=employee_id, groups=False)
        connector.close()
