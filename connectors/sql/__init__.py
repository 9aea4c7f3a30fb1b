"""``connector: sql`` -- SQLAlchemy tables as a directory (see ``_connector`` for the behaviour).

SQLAlchemy is imported only inside this package.
"""

from ._connector import SqlConnector as SqlConnector

__all__ = ["SqlConnector"]
