"""The one place that talks to the identity platform (msal) and to Graph (httpx), with Graph's errors mapped
to ours.

* **Tokens**: msal's ``ConfidentialClientApplication`` (client credentials, a client secret or a certificate)
  against the configured authority; ``validateAuthority: false`` turns off msal's authority validation and
  instance discovery (a private or test authority). msal caches the token until it expires. AAD's errors are
  mapped by their AADSTS code to a precise ``AuthenticationFailed`` (wrong or expired secret, unknown tenant,
  unknown application). The secret is never put in a message or a log line: only AAD's own description is.
* **Graph calls**: one keep-alive ``httpx.Client``. **429 / 503 / 504** wait ``Retry-After`` (seconds) and try
  again, up to ``MAX_ATTEMPTS`` in all; a wait over ``MAX_WAIT`` is not slept here but handed to the engine as
  a ``RetriableConnectorError``. **401** once: the cached token is dropped and a new one fetched (an access
  token can expire or be revoked mid-read); a second 401 is ``AuthenticationFailed`` with Graph's message.
  **403**: ``AuthenticationFailed`` naming the application permissions needed. **410** (``resyncRequired``,
  ``syncStateNotFound``): ``ResyncRequired`` for the reader, which starts a new round. **404**: ``None``.
"""

from __future__ import annotations

import functools
import ssl
import time
from collections.abc import Callable, Mapping
from typing import Any

import httpx
import msal  # type: ignore[import-untyped]
import requests

from .._errors import AuthenticationFailed, ConnectionFailed, ConnectorError, RetriableConnectorError
from ._settings import GraphSettings

MAX_ATTEMPTS = 5
MAX_WAIT = 60.0
PERMISSIONS = "User.Read.All, GroupMember.Read.All (and Application.Read.All for scope: assigned)"
_RETRY = frozenset({429, 503, 504})
_AADSTS: dict[int, tuple[str, str]] = {
    7000215: ("the client secret is wrong", "check 'clientSecret': use the secret's Value, not its ID"),
    7000222: (
        "the client secret has expired",
        "create a new secret in the app registration and update 'clientSecret'",
    ),
    90002: ("the tenant was not found", "check 'tenantId' and that 'authority' is the tenant's cloud"),
    900023: ("the tenant id is not valid", "check 'tenantId'"),
    700016: (
        "the application was not found in the tenant",
        "check 'clientId', and 'tenantId' is its home tenant",
    ),
    700027: ("the certificate was refused", "check 'certificate' and its thumbprint in the app registration"),
    7000112: ("the application is disabled", "enable the app registration's service principal"),
}


class ResyncRequired(Exception):
    """Graph no longer knows a delta or skip token (410): start a new round from scratch."""


def _retry_after(header: str | None, attempt: int) -> float:
    if header and header.strip().replace(".", "", 1).isdigit():
        return float(header.strip())
    return min(2.0**attempt, MAX_WAIT)


def _graph_error(response: httpx.Response) -> tuple[str, str]:
    try:
        error = response.json().get("error", {})
        return str(error.get("code", "")), str(error.get("message", "")).strip()
    except (ValueError, AttributeError):
        return "", response.text[:200].strip()


def _session(ca_bundle: str | None, timeout: float) -> requests.Session:
    """msal's HTTP client. ``verify`` and ``timeout`` go with every request: requests lets a
    ``REQUESTS_CA_BUNDLE`` in the environment override a session's own ``verify`` (psf/requests#3829), which
    would make ``caBundle`` silently useless."""
    session = requests.Session()
    session.request = functools.partial(session.request, verify=ca_bundle or True, timeout=timeout)  # type: ignore[method-assign]
    session.mount("https://", requests.adapters.HTTPAdapter(max_retries=1))
    return session


class GraphHttp:
    """Tokens and Graph requests for one connector (thread-safe: msal and httpx are)."""

    def __init__(
        self,
        settings: GraphSettings,
        *,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.settings = settings
        self._sleep = sleep
        self._app: Any = None
        self._session = _session(settings.ca_bundle, settings.timeout_seconds)
        verify: ssl.SSLContext | bool = (
            ssl.create_default_context(cafile=settings.ca_bundle) if settings.ca_bundle else True
        )
        self.client = httpx.Client(
            timeout=httpx.Timeout(settings.timeout_seconds, connect=min(settings.timeout_seconds, 10.0)),
            verify=verify,
            transport=transport,
            headers={"Accept": "application/json"},
        )

    def close(self) -> None:
        self.client.close()
        self._session.close()

    # -- tokens -----------------------------------------------------------------------------------------

    def _application(self) -> Any:
        if self._app is None:
            s = self.settings
            credential: Any = s.client_secret
            if s.certificate is not None:
                credential = {"private_key": s.certificate.private_key}
                if s.certificate.thumbprint:
                    credential["thumbprint"] = s.certificate.thumbprint
                if s.certificate.public_certificate:
                    credential["public_certificate"] = s.certificate.public_certificate
            try:
                self._app = msal.ConfidentialClientApplication(
                    s.client_id,
                    client_credential=credential,
                    authority=s.authority,
                    validate_authority=s.validate_authority,
                    instance_discovery=None if s.validate_authority else False,
                    http_client=self._session,
                )
            except ValueError as exc:
                raise AuthenticationFailed(
                    f"the identity platform at {s.authority} does not know this tenant or authority; check "
                    "'tenantId' and 'authority' (a private authority needs validateAuthority: false)",
                    connector="graph",
                    detail=str(exc).split(" Also please")[0],
                ) from None
            except Exception as exc:  # requests' connection errors, raised from msal's discovery
                raise self._unreachable(s.authority, exc) from None
        return self._app

    def token(self) -> str:
        try:
            result = self._application().acquire_token_for_client(scopes=[self.settings.token_scope])
        except ConnectorError:
            raise
        except msal.exceptions.MsalServiceError as exc:
            raise RetriableConnectorError(
                f"the identity platform at {self.settings.authority} failed to issue a token",
                retry_after=30,
                connector="graph",
                detail=str(exc),
            ) from None
        except Exception as exc:
            raise self._unreachable(self.settings.authority, exc) from None
        if "access_token" in result:
            return str(result["access_token"])
        codes = result.get("error_codes") or []
        what, advice = next(
            (_AADSTS[c] for c in codes if c in _AADSTS),
            (
                "the identity platform refused the client credentials",
                "check 'tenantId', 'clientId' and 'clientSecret'",
            ),
        )
        description = str(result.get("error_description", "")).split("\r\n")[0].split(" Trace ID")[0]
        raise AuthenticationFailed(
            f"{what}; {advice}", connector="graph", detail=f"{result.get('error')}: {description}"
        )

    def _forget_token(self) -> None:
        if self._app is not None:
            self._app.remove_tokens_for_client()

    # -- Graph --------------------------------------------------------------------------------------------

    def url(self, path: str) -> str:
        return path if path.startswith(("https://", "http://")) else f"{self.settings.base_url}{path}"

    def get(
        self, path: str, params: Mapping[str, str] | None = None, headers: Mapping[str, str] | None = None
    ) -> dict[str, Any] | None:
        """The JSON body of ``GET path`` (a path under baseUrl or a whole nextLink/deltaLink); None on 404."""
        return self.request("GET", path, params=params, headers=headers)

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        body: Any = None,
    ) -> dict[str, Any] | None:
        """One Graph call with the policy above (Graph's reads only: a POST here is a read such as
        ``getAvailableExtensionProperties``, safe to repeat); None on 404."""
        url = self.url(path)
        refreshed = False
        for attempt in range(1, MAX_ATTEMPTS + 1):
            sent = {"Authorization": f"Bearer {self.token()}", **(headers or {})}
            try:
                response = self.client.request(method, url, params=params, headers=sent, json=body)
            except httpx.TimeoutException as exc:
                if isinstance(exc, httpx.ConnectTimeout) or attempt == MAX_ATTEMPTS:
                    raise self._unreachable(self.settings.base_url, exc) from None
                self._sleep(_retry_after(None, attempt))
                continue
            except httpx.TransportError as exc:
                raise self._unreachable(self.settings.base_url, exc) from None
            status = response.status_code
            if status == 200:
                return self._json(response, url)
            if status == 404:
                return None
            if status == 401 and not refreshed:
                refreshed = True
                self._forget_token()
                continue
            if status in _RETRY and attempt < MAX_ATTEMPTS:
                wait = _retry_after(response.headers.get("Retry-After"), attempt)
                if wait <= MAX_WAIT:
                    self._sleep(wait)
                    continue
            raise self._failure(response, url)
        raise AssertionError("unreachable")  # pragma: no cover -- the loop returns or raises

    @staticmethod
    def _json(response: httpx.Response, url: str) -> dict[str, Any]:
        try:
            body = response.json()
        except ValueError:
            raise ConnectorError(
                f"Graph answered {url.split('?')[0]} with a body that is not JSON",
                connector="graph",
                detail=response.text[:200],
            ) from None
        return body if isinstance(body, dict) else {"value": body}

    def _failure(self, response: httpx.Response, url: str) -> Exception:
        status = response.status_code
        code, message = _graph_error(response)
        where = url.split("?")[0]
        detail = f"{code}: {message}" if code else message
        if status == 410:
            return ResyncRequired(detail)
        if status == 401:
            return AuthenticationFailed(
                f"Graph refused the access token for {where} (HTTP 401) even after a new one was issued; "
                "check "
                "that 'baseUrl' is the same cloud as 'authority' and that the app is in tenant "
                f"{self.settings.tenant_id}",
                connector="graph",
                detail=detail,
            )
        if status == 403:
            return AuthenticationFailed(
                f"the application may not read {where} (HTTP 403); grant it the application permissions "
                f"{PERMISSIONS} with admin consent",
                connector="graph",
                detail=detail,
            )
        if status in _RETRY:
            wait = _retry_after(response.headers.get("Retry-After"), MAX_ATTEMPTS)
            return RetriableConnectorError(
                f"Graph is throttling or unavailable (HTTP {status}) for {where}",
                retry_after=max(wait, 1.0),
                connector="graph",
                detail=detail,
            )
        return ConnectorError(
            f"Graph answered HTTP {status} to GET {where}", connector="graph", detail=detail
        )

    @staticmethod
    def _unreachable(where: str, exc: Exception) -> ConnectorError:
        return ConnectionFailed(
            f"cannot reach {where} ({type(exc).__name__}); check the address, the network and, for a private "
            "CA, 'caBundle'",
            connector="graph",
        )


__all__ = ["GraphHttp", "ResyncRequired"]
