"""``/metrics`` (Prometheus text, token required like the rest of the API) and the console at ``/``.

The console is static assets with no data in them (``status.html``, ``console.js``, ``console.css``), served
without a token under a strict Content-Security-Policy (scripts and styles from the daemon only, no
framing). Its script logs in (``POST /login`` exchanges the API token for the session cookie of ``_auth``),
then reads and acts through the API it shows: jobs and their state, actions (start, pause, restart,
provision on demand, validate credentials) with a confirmation, the provisioning log with filters, a job's
mappings, and the expression tester.
"""

from __future__ import annotations

from importlib.resources import files
from typing import Any

from fastapi import APIRouter, Body, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse

from engine.daemon import METRICS_CONTENT_TYPE

from ._auth import CSRF_COOKIE, SESSION_COOKIE, SESSION_SECONDS, Sessions, same_origin, token_matches
from ._deps import daemon_of
from ._errors import GraphError

__all__ = ["metrics_router", "page_router", "principals_router"]

page_router = APIRouter(include_in_schema=False)
metrics_router = APIRouter(tags=["observability"])
principals_router = APIRouter(tags=["servicePrincipals"])

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}
_ASSETS = {"console.js": "text/javascript; charset=utf-8", "console.css": "text/css; charset=utf-8"}


def _asset(name: str) -> str:
    return files("engine.api").joinpath(name).read_text(encoding="utf-8")


@page_router.get("/", response_class=HTMLResponse)
def status_page(request: Request) -> HTMLResponse:
    html = _asset("status.html").replace("{{AUTH}}", "true" if request.app.state.auth else "false")
    return HTMLResponse(html, headers=SECURITY_HEADERS)


@page_router.get("/console.js")
@page_router.get("/console.css")
def console_asset(request: Request) -> Response:
    name = request.url.path.lstrip("/")
    return Response(_asset(name), media_type=_ASSETS[name], headers=SECURITY_HEADERS)


@page_router.post("/login")
def login(request: Request, body: dict[str, Any] = Body()) -> JSONResponse:  # noqa: B008
    """The console's login: the API token for a session cookie (HttpOnly, SameSite=Strict)."""
    if not same_origin(request):
        raise GraphError(403, "cross-origin login refused")
    token: str | None = request.app.state.token
    if token is None:
        return JSONResponse({"authenticated": True, "authRequired": False})
    if not token_matches(token, str(body.get("token", ""))):
        raise GraphError(401, "Access token validation failure: the token is not valid.")
    sessions: Sessions = request.app.state.sessions
    sid, csrf = sessions.open()
    response = JSONResponse({"authenticated": True, "authRequired": True})
    secure = request.url.scheme == "https"
    response.set_cookie(
        SESSION_COOKIE, sid, max_age=SESSION_SECONDS, httponly=True, samesite="strict", secure=secure
    )
    response.set_cookie(CSRF_COOKIE, csrf, max_age=SESSION_SECONDS, samesite="strict", secure=secure)
    return response


@page_router.post("/logout")
def logout(request: Request) -> JSONResponse:
    if not same_origin(request):
        raise GraphError(403, "cross-origin logout refused")
    sessions: Sessions = request.app.state.sessions
    sessions.close(request.cookies.get(SESSION_COOKIE))
    response = JSONResponse({"authenticated": False})
    response.delete_cookie(SESSION_COOKIE, httponly=True, samesite="strict")
    response.delete_cookie(CSRF_COOKIE, samesite="strict")
    return response


@page_router.get("/session")
def session(request: Request) -> dict[str, bool]:
    """Whether this browser is logged in (the console asks before it shows the login form)."""
    required = request.app.state.token is not None
    sessions: Sessions = request.app.state.sessions
    logged_in = sessions.get(request.cookies.get(SESSION_COOKIE)) is not None
    return {"authRequired": required, "authenticated": logged_in or not required}


@principals_router.get("/servicePrincipals", summary="The service principals served here")
def service_principals(request: Request) -> dict[str, Any]:
    principals = sorted(daemon_of(request).principals())
    return {"value": [{"id": p, "appId": p, "displayName": p} for p in principals]}


@metrics_router.get("/metrics", summary="Prometheus metrics", response_class=Response)
def metrics(request: Request) -> Response:
    return Response(daemon_of(request).metrics.render(), media_type=METRICS_CONTENT_TYPE)
