"""``/servicePrincipals/{id}/synchronization/secrets``: PUT replaces all; GET lists the keys only.

The values stay in the daemon's memory (see ``engine.daemon.SecretStore`` for the decision) and are never
echoed back: a GET answers each key with an empty value, as Graph does for write-only secrets.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response

from ._deps import daemon_of, require_principal
from ._models import SecretsRequest

__all__ = ["router"]

router = APIRouter(prefix="/servicePrincipals/{principal}/synchronization/secrets", tags=["secrets"])


@router.put("", status_code=204, summary="Replace all synchronization secrets")
def put_secrets(principal: str, body: SecretsRequest, request: Request) -> Response:
    daemon = daemon_of(request)
    require_principal(daemon, principal)
    daemon.secrets.replace(principal, ((pair.key, pair.value) for pair in body.value))
    return Response(status_code=204)


@router.get("", summary="List the keys of the synchronization secrets (values are never returned)")
def get_secrets(principal: str, request: Request) -> dict[str, Any]:
    daemon = daemon_of(request)
    require_principal(daemon, principal)
    return {"value": [{"key": key, "value": ""} for key in daemon.secrets.keys(principal)]}
