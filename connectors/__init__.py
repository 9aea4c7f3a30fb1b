"""Pluggable directories for idsync: one small interface, one module per kind.

Public surface (everything else is private)::

    from connectors import Connector, ConnectorContext, DirectoryObject, Page, Watermark, Change, ...
    from connectors import create_connector, connector_class, register_connector

``connectors`` never imports ``engine``: it owns no sync state (see ``_base`` for the contract).
"""

from ._base import ApplyResult as ApplyResult
from ._base import Capabilities as Capabilities
from ._base import Change as Change
from ._base import Connector as Connector
from ._base import ConnectorContext as ConnectorContext
from ._base import DataStore as DataStore
from ._base import DirectoryObject as DirectoryObject
from ._base import Modification as Modification
from ._base import Operation as Operation
from ._base import Page as Page
from ._base import Scalar as Scalar
from ._base import Value as Value
from ._base import ValueOp as ValueOp
from ._base import Watermark as Watermark
from ._errors import AuthenticationFailed as AuthenticationFailed
from ._errors import ConnectionFailed as ConnectionFailed
from ._errors import ConnectorConfigError as ConnectorConfigError
from ._errors import ConnectorError as ConnectorError
from ._errors import ObjectConflict as ObjectConflict
from ._errors import ObjectRejected as ObjectRejected
from ._errors import RetriableConnectorError as RetriableConnectorError
from ._registry import ENTRY_POINT_GROUP as ENTRY_POINT_GROUP
from ._registry import available_connectors as available_connectors
from ._registry import connector_class as connector_class
from ._registry import create_connector as create_connector
from ._registry import register_connector as register_connector

__all__ = [
    "ENTRY_POINT_GROUP",
    "ApplyResult",
    "AuthenticationFailed",
    "Capabilities",
    "Change",
    "ConnectionFailed",
    "Connector",
    "ConnectorConfigError",
    "ConnectorContext",
    "ConnectorError",
    "DataStore",
    "DirectoryObject",
    "Modification",
    "ObjectConflict",
    "ObjectRejected",
    "Operation",
    "Page",
    "RetriableConnectorError",
    "Scalar",
    "Value",
    "ValueOp",
    "Watermark",
    "available_connectors",
    "connector_class",
    "create_connector",
    "register_connector",
]
