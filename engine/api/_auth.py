"""Authentication for every API route: a bearer token, or the console's session cookie.

* ``Authorization: Bearer <IDSYNC_API_TOKEN>`` (API clients). A missing or wrong token is a 401 in Graph's
  error shape with ``WWW-Authenticate: Bearer``; the comparison is constant-time.
* The console logs in once (``POST /login`` with the token) and gets a session cookie: ``HttpOnly``,
  ``SameSite=Strict``, ``Path=/``, random, held in the daemon's memory (8 hours; ``POST /logout`` ends it), so
  a link opened in any tab of that browser works and the token never sits in page storage. Requests that
  change something (any method but GET / HEAD) made with the cookie must also carry the session's CSRF token
  in ``X-CSRF-Token`` (double submit: the console reads it from the non-HttpOnly ``idsync_csrf`` cookie).
* With ``token=None`` (``idsync serve --no-auth``, loopback only) every request passes, except a request that
  changes something and comes from another origin (``Origin`` not this host): a page elsewhere cannot drive
  the daemon through the browser.
"""

from __future__ import annotations

import hmac
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from fastapi import Request

from ._errors import GraphError

__all__ = ["CSRF_COOKIE", "CSRF_HEADER", "SESSION_COOKIE", "Sessions", "bearer_guard", "same_origin"]

SESSION_COOKIE = "idsync_session"
CSRF_COOKIE = "idsync_csrf"
CSRF_HEADER = "x-csrf-token"
SESSION_SECONDS = 8 * 3600
_SAFE = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True)
class Session:
    csrf: str
    expires: float


class Sessions:
    """The console's sessions: random ids in memory (a restarted daemon logs everyone out)."""

    def __init__(self, seconds: float = SESSION_SECONDS) -> None:
        self.seconds = seconds
        self._sessions: dict[str, Session] = {}
        self._lock = threading.Lock()

    def open(self) -> tuple[str, str]:
        """A new session: ``(session id, csrf token)``."""
        sid, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        with self._lock:
            now = time.monotonic()
            self._sessions = {k: v for k, v in self._sessions.items() if v.expires > now}
            self._sessions[sid] = Session(csrf, now + self.seconds)
        return sid, csrf

    def get(self, sid: str | None) -> Session | None:
        if not sid:
            return None
        with self._lock:
            found = self._sessions.get(sid)
        return found if found is not None and found.expires > time.monotonic() else None

    def close(self, sid: str | None) -> None:
        with self._lock:
            self._sessions.pop(sid or "", None)

    def __repr__(self) -> str:
        return f"Sessions({len(self._sessions)} open; ids withheld)"


def same_origin(request: Request) -> bool:
    """True unless the browser says the request comes from another origin."""
    origin = request.headers.get("origin")
    if origin is None:
        return True
    host = request.headers.get("host", "")
    return origin in (f"http://{host}", f"https://{host}")


def bearer_guard(token: str | None, sessions: Sessions | None = None) -> Callable[[Request], None]:
    expected = token.encode() if token is not None else None

    def require_token(request: Request) -> None:
        if request.method not in _SAFE and not same_origin(request):
            raise GraphError(403, "cross-origin requests that change something are refused")
        if expected is None:
            return
        header = request.headers.get("authorization", "")
        scheme, _, given = header.partition(" ")
        if not header and sessions is not None:
            session = sessions.get(request.cookies.get(SESSION_COOKIE))
            if session is not None:
                if request.method not in _SAFE and not hmac.compare_digest(
                    request.headers.get(CSRF_HEADER, "").encode(), session.csrf.encode()
                ):
                    raise GraphError(403, "missing or wrong X-CSRF-Token for this session")
                return
        if scheme.lower() != "bearer" or not given.strip():
            raise GraphError(401, "Access token is empty: send 'Authorization: Bearer <token>'.")
        if not hmac.compare_digest(given.strip().encode(), expected):
            raise GraphError(401, "Access token validation failure: the bearer token is not valid.")

    return require_token


def token_matches(token: str | None, given: str) -> bool:
    return token is not None and hmac.compare_digest(given.encode(), token.encode())
