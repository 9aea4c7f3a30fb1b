"""Connector kinds by name: the built-ins, plus third-party ones from the ``idsync.connectors`` entry points.

A third-party package exposes its class in its own ``pyproject.toml``::

    [project.entry-points."idsync.connectors"]
    mydir = "mypackage.connector:MyDirectoryConnector"

and job files then say ``connector: mydir``.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from importlib.metadata import entry_points
from typing import Any, TypeVar

from ._base import Connector, ConnectorContext
from ._errors import ConnectorConfigError

ENTRY_POINT_GROUP = "idsync.connectors"

# Built-ins are imported lazily: the LDAP one needs python-ldap, an optional extra.
_BUILTINS: dict[str, str] = {
    "json": "connectors.json_file:JsonFileConnector",
    "memory": "connectors.memory:MemoryConnector",
    "csv": "connectors.csv_file:CsvConnector",
    "sql": "connectors.sql:SqlConnector",
    "scim": "connectors.scim:ScimConnector",
    "ldap": "connectors.ldap:LdapConnector",
    "graph": "connectors.graph:GraphConnector",
    "api": "connectors.api:ApiConnector",
}
_registered: dict[str, type[Connector]] = {}

C = TypeVar("C", bound=type[Connector])


def register_connector(kind: str) -> Callable[[C], C]:
    """Class decorator registering a connector under ``kind`` (overrides a built-in of the same name)."""

    def decorate(cls: C) -> C:
        cls.kind = kind
        _registered[kind] = cls
        return cls

    return decorate


def available_connectors() -> list[str]:
    names = set(_BUILTINS) | set(_registered)
    names.update(ep.name for ep in entry_points(group=ENTRY_POINT_GROUP))
    return sorted(names)


def connector_class(kind: str) -> type[Connector]:
    """The class registered for ``kind``; ``ConnectorConfigError`` when there is none or it cannot load."""
    if kind in _registered:
        return _registered[kind]
    target = _BUILTINS.get(kind)
    if target is None:
        for ep in entry_points(group=ENTRY_POINT_GROUP):
            if ep.name == kind:
                target = ep.value
                break
    if target is None:
        known = ", ".join(available_connectors())
        raise ConnectorConfigError(
            f"unknown connector {kind!r}; known connectors: {known}", setting="connector"
        )
    module_name, _, attr = target.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ConnectorConfigError(
            f"connector {kind!r} cannot be loaded ({exc}); "
            f"install its extra, e.g. pip install 'idsync[{kind}]'",
            setting="connector",
        ) from exc
    cls = getattr(module, attr)
    if not (isinstance(cls, type) and issubclass(cls, Connector)):
        raise ConnectorConfigError(f"{target} is not a Connector subclass", setting="connector")
    return cls


def create_connector(kind: str, settings: Mapping[str, Any], context: ConnectorContext) -> Connector:
    """Instantiate the connector ``kind`` with its (already secret-resolved) settings."""
    return connector_class(kind)(settings, context)
