"""Bearer-token authentication for every API route (``Authorization: Bearer <IDSYNC_API_TOKEN>``).

A missing or wrong token is a 401 in Graph's error shape with ``WWW-Authenticate: Bearer``. The comparison
is constant-time. With ``token=None`` (``idsync serve --no-auth``, which binds loopback only) every request
passes.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable

from fastapi import Request

from ._errors import GraphError

__all__ = ["bearer_guard"]


def bearer_guard(token: str | None) -> Callable[[Request], None]:
    expected = token.encode() if token is not None else None

    def require_token(request: Request) -> None:
        if expected is None:
            return
        header = request.headers.get("authorization", "")
        scheme, _, given = header.partition(" ")
        if scheme.lower() != "bearer" or not given.strip():
            raise GraphError(401, "Access token is empty: send 'Authorization: Bearer <token>'.")
        if not hmac.compare_digest(given.strip().encode(), expected):
            raise GraphError(401, "Access token validation failure: the bearer token is not valid.")

    return require_token
