"""OData's collection conventions the official clients use: ``$count=true`` and the ``/$count`` segment.

``GET <collection>/$count`` answers the number of members as ``text/plain`` (what msgraph-sdk's count
builders read); ``GET <collection>?$count=true`` adds ``@odata.count`` to the page.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fastapi import Request
from fastapi.responses import PlainTextResponse

__all__ = ["collection", "count_response"]


def collection(request: Request, members: Sequence[Any]) -> dict[str, Any]:
    body: dict[str, Any] = {"value": list(members)}
    if request.query_params.get("$count", "").lower() == "true":
        body["@odata.count"] = len(members)
    return body


def count_response(count: int) -> PlainTextResponse:
    return PlainTextResponse(str(count))
