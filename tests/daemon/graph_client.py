"""Microsoft's official Python client (msgraph-sdk) pointed at a running ``idsync serve``.

The client is built the way a Graph user builds one, with a bearer-token provider and a base URL ending in
the Graph version; only the token and the host differ. ``dropped`` compares a typed model with the JSON the
daemon sent and lists every property the model lost (an enum value Graph does not know reads as None).
"""

from __future__ import annotations

import re
from typing import Any

from kiota_abstractions.authentication import (
    AccessTokenProvider,
    AllowedHostsValidator,
    BaseBearerTokenAuthenticationProvider,
)
from msgraph.graph_request_adapter import GraphRequestAdapter
from msgraph.graph_service_client import GraphServiceClient


class StaticToken(AccessTokenProvider):
    def __init__(self, token: str) -> None:
        self.token = token

    async def get_authorization_token(
        self, uri: str, additional_authentication_context: dict[str, Any] | None = None
    ) -> str:
        return self.token

    def get_allowed_hosts_validator(self) -> AllowedHostsValidator:
        return AllowedHostsValidator([])


def graph_client(base_url: str, token: str) -> GraphServiceClient:
    adapter = GraphRequestAdapter(BaseBearerTokenAuthenticationProvider(StaticToken(token)))
    adapter.base_url = base_url
    return GraphServiceClient(request_adapter=adapter)


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def dropped(model: Any, raw: Any, path: str = "") -> list[str]:
    """JSON paths whose non-null value the typed ``model`` did not keep (neither as a field nor in
    ``additional_data``)."""
    lost: list[str] = []
    if isinstance(raw, list):
        for i, (m, r) in enumerate(zip(model or [], raw, strict=False)):
            lost += dropped(m, r, f"{path}[{i}]")
        if model is None and raw:
            lost.append(path)
        return lost
    if not isinstance(raw, dict):
        return [path] if model is None and raw is not None else []
    if model is None:
        return [path]
    known = set(model.get_field_deserializers()) if hasattr(model, "get_field_deserializers") else set()
    extra = getattr(model, "additional_data", None) or {}
    for key, value in raw.items():
        if value is None or key.startswith("@odata"):
            continue
        where = f"{path}.{key}" if path else key
        if key in known:
            attr = _snake(key)
            if not hasattr(model, attr):
                attr = attr + "_"
            lost += dropped(getattr(model, attr, None), value, where)
        elif key not in extra:
            lost.append(where)
    return lost
