"""idsync's REST API: Microsoft Graph's synchronization endpoints over the daemon (FastAPI).

Used by ``idsync serve``; FastAPI and uvicorn come with the ``server`` extra.
"""

from __future__ import annotations

from ._app import create_app as create_app
from ._errors import GraphError as GraphError
from ._odata import FilterError as FilterError
from ._odata import parse_filter as parse_filter

__all__ = ["FilterError", "GraphError", "create_app", "parse_filter"]
