"""The ``scim`` connector's settings in a job file, checked once, with errors naming the setting.

::

    connector: scim
    settings:
      baseAddress: https://app.example.com/scim/v2   # Entra's "Tenant URL"
      secretToken: ${SCIM_TOKEN}                     # Entra's "Secret Token" (bearer)
      dialect: rfc7644          # or entra: the request shapes of Entra's default scim job (spec §D.8)
      concurrency: 4            # requests in flight while applying a batch (one keep-alive client)
      timeoutSeconds: 30        # per request; Entra gives an app 60 s
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from .._errors import ConnectorConfigError
from ._patch import DIALECTS

KNOWN = ("baseAddress", "secretToken", "dialect", "concurrency", "timeoutSeconds")
MAX_CONCURRENCY = 64


@dataclass(frozen=True, slots=True)
class ScimSettings:
    base_address: str
    secret_token: str
    dialect: str = "rfc7644"
    concurrency: int = 4
    timeout_seconds: float = 30.0


def _fail(setting: str, message: str) -> ConnectorConfigError:
    return ConnectorConfigError(message, setting=setting, connector="scim")


def _base_address(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _fail("baseAddress", "give the SCIM base URL, e.g. https://app.example.com/scim/v2")
    parts = urlsplit(value.strip())
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        raise _fail("baseAddress", f"{value!r} is not an http(s) URL, e.g. https://app.example.com/scim/v2")
    if parts.query or parts.fragment:
        raise _fail(
            "baseAddress",
            f"{value!r} has a query string or fragment; remove it (Entra's '?aadOptscim062020' flag is the "
            "'rfc7644' dialect here, the default)",
        )
    return value.strip().rstrip("/")


def _number(
    settings: Mapping[str, Any], name: str, default: float, *, integer: bool, low: float, high: float
) -> Any:
    value = settings.get(name, default)
    valid = isinstance(value, int) if integer else isinstance(value, int | float)
    if isinstance(value, bool) or not valid or not low <= value <= high:
        kind = "a whole number" if integer else "a number"
        raise _fail(name, f"must be {kind} from {low:g} to {high:g}, got {value!r}")
    return value


def parse_settings(settings: Mapping[str, Any]) -> ScimSettings:
    for key in settings:
        if key not in KNOWN:
            close = difflib.get_close_matches(key, KNOWN, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else f"; known settings: {', '.join(KNOWN)}"
            raise _fail(key, f"unknown setting{hint}")
    token = settings.get("secretToken")
    if not isinstance(token, str) or not token:
        raise _fail(
            "secretToken", "give the bearer token the SCIM app expects (use ${ENV_VAR}, never clear text)"
        )
    dialect = settings.get("dialect", "rfc7644")
    if dialect not in DIALECTS:
        raise _fail("dialect", f"must be one of {', '.join(DIALECTS)}, got {dialect!r}")
    return ScimSettings(
        base_address=_base_address(settings.get("baseAddress")),
        secret_token=token,
        dialect=dialect,
        concurrency=_number(settings, "concurrency", 4, integer=True, low=1, high=MAX_CONCURRENCY),
        timeout_seconds=float(_number(settings, "timeoutSeconds", 30.0, integer=False, low=0.1, high=600)),
    )


__all__ = ["ScimSettings", "parse_settings"]
