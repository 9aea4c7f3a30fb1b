"""Connector kinds by name: built-ins, the ``idsync.connectors`` entry points, clear errors otherwise."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from importlib.metadata import EntryPoint
from typing import Any

import pytest

import connectors._registry as registry
from connectors import (
    ENTRY_POINT_GROUP,
    ConnectorConfigError,
    ConnectorContext,
    available_connectors,
    connector_class,
    create_connector,
    register_connector,
)
from connectors.csv_file import CsvConnector
from connectors.json_file import JsonFileConnector
from connectors.memory import MemoryConnector
from connectors.sql import SqlConnector


class ThirdPartyConnector(MemoryConnector):
    """Stands in for a class a third-party package exposes through an entry point."""


NOT_A_CONNECTOR = object()


@pytest.fixture
def entry_points(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[EntryPoint]]:
    """Entry points as if an installed package declared them in its pyproject.toml."""
    declared: list[EntryPoint] = []

    def fake(*, group: str) -> Sequence[EntryPoint]:
        return [ep for ep in declared if ep.group == group]

    monkeypatch.setattr(registry, "entry_points", fake)
    yield declared


@pytest.mark.parametrize(
    ("kind", "cls"),
    [("json", JsonFileConnector), ("memory", MemoryConnector), ("csv", CsvConnector), ("sql", SqlConnector)],
)
def test_built_ins_by_name(kind: str, cls: type[Any]) -> None:
    assert connector_class(kind) is cls
    assert cls.kind == kind
    assert kind in available_connectors()


def test_unknown_kind_names_the_known_ones() -> None:
    with pytest.raises(ConnectorConfigError) as caught:
        connector_class("oracle-hr")
    message = str(caught.value)
    assert "unknown connector 'oracle-hr'" in message and "json, " in message and "sql" in message
    assert caught.value.setting == "connector"


def test_entry_point_connector_is_found_by_name(entry_points: list[EntryPoint]) -> None:
    target = f"{__name__}:ThirdPartyConnector"
    entry_points.append(EntryPoint("acme", target, ENTRY_POINT_GROUP))
    entry_points.append(EntryPoint("other", target, "some.other.group"))
    assert "acme" in available_connectors() and "other" not in available_connectors()
    made = create_connector("acme", {}, ConnectorContext("Acme"))
    assert isinstance(made, ThirdPartyConnector)


def test_entry_point_that_is_not_a_connector_or_does_not_import(entry_points: list[EntryPoint]) -> None:
    entry_points.append(EntryPoint("odd", f"{__name__}:NOT_A_CONNECTOR", ENTRY_POINT_GROUP))
    entry_points.append(EntryPoint("gone", "no_such_package.connector:Gone", ENTRY_POINT_GROUP))
    with pytest.raises(ConnectorConfigError, match="is not a Connector subclass"):
        connector_class("odd")
    with pytest.raises(ConnectorConfigError, match=r"connector 'gone' cannot be loaded .*pip install"):
        connector_class("gone")


def test_register_connector_decorator_adds_a_kind(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(registry, "_registered", {})

    @register_connector("scratch")
    class Scratch(MemoryConnector):
        pass

    assert Scratch.kind == "scratch" and connector_class("scratch") is Scratch
    assert "scratch" in available_connectors()
