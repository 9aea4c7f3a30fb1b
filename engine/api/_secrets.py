"""``/servicePrincipals/{id}/synchronization/secrets``: PUT replaces all; GET lists the keys only.

The values are never echoed back: a GET answers each key with an empty value, as Graph does for write-only
secrets. Where they are kept (encrypted in the daemon's state folder, or in memory) is
``engine.daemon.SecretStore``'s decision; a PUT the daemon cannot store encrypted (no ``IDSYNC_SECRET_KEY``)
is refused with 400 saying so. A PUT binds the principal's API-created jobs to their connectors again.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import PlainTextResponse

from ._collections import collection, count_response
from ._deps import daemon_of, require_principal
from ._engine_errors import engine_errors
from ._models import SecretsRequest

__all__ = ["router", "synchronization_router"]

_SYNC = "/servicePrincipals/{principal}/synchronization"
router = APIRouter(prefix=_SYNC + "/secrets", tags=["secrets"])
synchronization_router = APIRouter(prefix=_SYNC, tags=["secrets"])


@router.put("", status_code=204, summary="Replace all synchronization secrets")
def put_secrets(principal: str, body: SecretsRequest, request: Request) -> Response:
    daemon = daemon_of(request)
    require_principal(daemon, principal)
    with engine_errors():
        daemon.replace_secrets(principal, ((pair.key, pair.value) for pair in body.value))
    return Response(status_code=204)


@router.get("", summary="List the keys of the synchronization secrets (values are never returned)")
def get_secrets(principal: str, request: Request) -> dict[str, Any]:
    daemon = daemon_of(request)
    require_principal(daemon, principal)
    return collection(request, [{"key": key, "value": ""} for key in daemon.secrets.keys(principal)])


@router.get("/$count", summary="The number of secrets", response_class=PlainTextResponse)
def count_secrets(principal: str, request: Request) -> PlainTextResponse:
    daemon = daemon_of(request)
    require_principal(daemon, principal)
    return count_response(len(daemon.secrets.keys(principal)))


@synchronization_router.get("", summary="The service principal's synchronization (its secrets' keys)")
def get_synchronization(principal: str, request: Request) -> dict[str, Any]:
    daemon = daemon_of(request)
    require_principal(daemon, principal)
    return {"id": principal, "secrets": [{"key": key, "value": ""} for key in daemon.secrets.keys(principal)]}
