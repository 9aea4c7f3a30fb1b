"""The one place that talks HTTP: a keep-alive httpx client, bounded retries, and httpx errors mapped to ours.

Retry policy (spec entra-scim.md §2.7; Entra pauses for ``Retry-After`` and retries only failed requests):

* **429 and 5xx** are retried up to ``MAX_ATTEMPTS`` times in all, waiting ``Retry-After`` (seconds or an
  HTTP date) when the server sends it, else an exponential backoff with jitter. A ``Retry-After`` longer
  than ``MAX_WAIT`` is not slept through here: the engine gets a ``RetriableConnectorError`` carrying it.
  When the budget runs out the error is a ``RetriableConnectorError`` too (the engine backs off the batch).
* A **POST** is retried only on 429 and 503 (the server says it did nothing); after a 500 / 502 / 504 or a
  read timeout it may have created the object, so it is not repeated blindly: the engine's matching step
  links such an object on the next attempt instead of creating it twice.
* **Connecting fails** (refused, DNS, connect timeout): ``ConnectionFailed`` at once, naming the address:
  an unreachable server is a fatal error for the cycle, not a hang (every phase has ``timeoutSeconds``).
* A **read timeout** (reachable but silent) is retried like a 503, then ``RetriableConnectorError``.
* **401 / 403**: ``AuthenticationFailed`` (fatal; Entra quarantines the job on it).

Everything else (2xx, 400, 404, 409...) is returned as a ``Reply`` for the caller to judge.
"""

from __future__ import annotations

import email.utils
import json
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from .._errors import AuthenticationFailed, ConnectionFailed, ConnectorError, RetriableConnectorError

MAX_ATTEMPTS = 4
MAX_WAIT = 30.0
CONNECT_TIMEOUT = 10.0
BACKOFF_BASE = 0.25
SCIM_JSON = "application/scim+json"
_POST_RETRY_STATUSES = frozenset({429, 503})


@dataclass(frozen=True, slots=True)
class Reply:
    status: int
    body: Any
    """The decoded JSON body (None when empty or not JSON)."""
    text: str

    def error_detail(self) -> str:
        """The server's own words from a SCIM Error (``scimType: detail``), else the start of the body."""
        if isinstance(self.body, dict) and ("detail" in self.body or "scimType" in self.body):
            kind = self.body.get("scimType")
            detail = str(self.body.get("detail") or "").strip()
            return f"{kind}: {detail}" if kind else detail
        return self.text[:300].strip() or "no details in the answer"


def _decode(response: httpx.Response) -> Any:
    if not response.content:
        return None
    try:
        return json.loads(response.content)
    except ValueError:
        return None


def retry_after(header: str | None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or an HTTP date); None when absent/bad."""
    if not header:
        return None
    header = header.strip()
    if header.isdigit():
        return float(header)
    try:
        when = email.utils.parsedate_to_datetime(header)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


class ScimHttp:
    """A shared keep-alive client (thread-safe: ``apply`` calls it from several threads)."""

    def __init__(
        self,
        base_address: str,
        token: str,
        *,
        timeout: float,
        concurrency: int,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.base_address = base_address.rstrip("/")
        self._sleep = sleep
        self.client = httpx.Client(
            base_url=self.base_address,
            headers={"Authorization": f"Bearer {token}", "Accept": f"{SCIM_JSON}, application/json"},
            # connecting never needs long: an unreachable address fails fast even with a long timeout
            timeout=httpx.Timeout(timeout, connect=min(timeout, CONNECT_TIMEOUT)),
            limits=httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency),
            transport=transport,
        )

    def close(self) -> None:
        self.client.close()

    def request(
        self, method: str, path: str, *, params: Mapping[str, str | int] | None = None, body: Any = None
    ) -> Reply:
        """One SCIM call with the retry policy above; only ``connectors`` errors escape."""
        content = None if body is None else json.dumps(body, ensure_ascii=False).encode("utf-8")
        headers = {"Content-Type": SCIM_JSON} if content is not None else None
        attempt = 0
        while True:
            attempt += 1
            try:
                response = self.client.request(method, path, params=params, content=content, headers=headers)
            except httpx.TimeoutException as exc:
                if isinstance(exc, httpx.ConnectTimeout | httpx.PoolTimeout) or method == "POST":
                    raise self._unreachable(exc, method, path) from exc
                self._wait_or_raise(attempt, None, f"no answer to {method} {path} in time", exc)
                continue
            except httpx.TransportError as exc:
                if isinstance(exc, httpx.ConnectError) or method == "POST" or attempt >= MAX_ATTEMPTS:
                    raise self._unreachable(exc, method, path) from exc
                self._wait_or_raise(attempt, None, f"{method} {path} failed: {exc}", exc)
                continue
            reply = Reply(response.status_code, _decode(response), response.text)
            if reply.status in (401, 403):
                raise AuthenticationFailed(
                    f"the SCIM server at {self.base_address} refused the secret token (HTTP {reply.status}); "
                    "check the 'secretToken' setting",
                    connector="scim",
                    detail=reply.error_detail(),
                )
            if method == "POST" and reply.status >= 500 and reply.status not in _POST_RETRY_STATUSES:
                raise RetriableConnectorError(
                    f"POST {path} answered HTTP {reply.status}; not repeated, since the object may exist now",
                    connector="scim",
                    detail=reply.error_detail(),
                )
            if not self._retriable(reply.status, method):
                return reply
            wait = retry_after(response.headers.get("Retry-After"))
            self._wait_or_raise(attempt, wait, f"{method} {path} answered HTTP {reply.status}", None, reply)

    @staticmethod
    def _retriable(status: int, method: str) -> bool:
        if method == "POST":
            return status in _POST_RETRY_STATUSES
        return status == 429 or status >= 500

    def _wait_or_raise(
        self, attempt: int, wait: float | None, what: str, exc: Exception | None, reply: Reply | None = None
    ) -> None:
        delay = wait if wait is not None else BACKOFF_BASE * (2 ** (attempt - 1)) * (0.5 + random.random())
        if attempt >= MAX_ATTEMPTS or delay > MAX_WAIT:
            detail = reply.error_detail() if reply is not None else str(exc) if exc else None
            raise RetriableConnectorError(
                f"{what} (tried {attempt} time{'s' if attempt > 1 else ''}); the server is busy or failing",
                retry_after=max(delay, 1.0),
                connector="scim",
                detail=detail,
            )
        self._sleep(delay)

    def _unreachable(self, exc: Exception, method: str, path: str) -> ConnectorError:
        if isinstance(exc, httpx.ReadTimeout | httpx.WriteTimeout):
            return RetriableConnectorError(
                f"no answer to {method} {path} from {self.base_address} in time; it may or may not have been "
                "applied (the next cycle's matching finds out)",
                connector="scim",
                detail=type(exc).__name__,
            )
        return ConnectionFailed(
            f"cannot reach the SCIM server at {self.base_address} ({type(exc).__name__}: {exc}); "
            "check the 'baseAddress' setting and that the server is running",
            connector="scim",
        )


__all__ = ["MAX_ATTEMPTS", "MAX_WAIT", "Reply", "ScimHttp", "retry_after"]
