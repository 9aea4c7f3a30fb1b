"""``/metrics`` (Prometheus text, bearer token required like the rest of the API) and the status page.

The status page is one static HTML file with no data in it, so it is served without a token; its script asks
for the token (kept in the tab's sessionStorage) and reads everything through the API it shows — jobs, their
state and last cycle, recent provisioning log entries — and calls parseExpression for its expression tester.
It is read-only: it offers no start, pause or restart.
"""

from __future__ import annotations

from importlib.resources import files

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse

from engine.daemon import METRICS_CONTENT_TYPE

from ._deps import daemon_of

__all__ = ["metrics_router", "page_router"]

page_router = APIRouter(include_in_schema=False)
metrics_router = APIRouter(tags=["observability"])


@page_router.get("/", response_class=HTMLResponse)
def status_page(request: Request) -> HTMLResponse:
    html = files("engine.api").joinpath("status.html").read_text(encoding="utf-8")
    return HTMLResponse(html.replace("{{AUTH}}", "true" if request.app.state.auth else "false"))


@metrics_router.get("/metrics", summary="Prometheus metrics", response_class=Response)
def metrics(request: Request) -> Response:
    return Response(daemon_of(request).metrics.render(), media_type=METRICS_CONTENT_TYPE)
