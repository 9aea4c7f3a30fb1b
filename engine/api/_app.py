"""The FastAPI application: Graph's synchronization paths over a ``Daemon``.

``create_app`` is the only entry point (``idsync serve`` and the tests call it). Every route of the API
needs the bearer token and is served under ``/``, ``/v1.0`` and ``/beta`` alike; the OpenAPI document
(``/openapi.json``, ``/docs``) and the data-free status page shell at ``/`` do not, since they hold no data.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI

from engine.daemon import Daemon

from . import _audit, _bulk, _jobs, _observe, _schema, _secrets, _templates
from ._auth import Sessions, bearer_guard
from ._errors import install_error_handlers

__all__ = ["GRAPH_VERSIONS", "create_app"]

#: The path prefixes the API is served under: none, and Graph's two versions.
GRAPH_VERSIONS = ("", "/v1.0", "/beta")


def create_app(daemon: Daemon, *, token: str | None, manage_daemon: bool = True) -> FastAPI:
    """An app serving ``daemon``; with ``manage_daemon`` the app's lifespan starts and stops it, so the
    scheduler runs exactly while the server serves and a SIGTERM drains the running cycles."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if manage_daemon:
            daemon.start()
        try:
            yield
        finally:
            if manage_daemon:
                daemon.shutdown()

    app = FastAPI(
        title="idsync",
        summary="Microsoft Graph synchronization API, served locally by idsync",
        version="1.0",
        lifespan=lifespan,
    )
    app.state.daemon = daemon
    app.state.auth = token is not None
    app.state.token = token
    app.state.sessions = Sessions()
    install_error_handlers(app)
    guarded = [Depends(bearer_guard(token, app.state.sessions))]
    routers = (
        _templates.router,
        _templates.applications_router,
        _jobs.router,
        _bulk.router,
        _schema.router,
        _schema.tools_router,
        _secrets.router,
        _secrets.synchronization_router,
        _audit.router,
        _observe.principals_router,
    )
    # Graph's clients put the version in their base URL (https://graph.microsoft.com/v1.0, /beta): the
    # same API answers under each, the OpenAPI document lists the unversioned paths once.
    for prefix in GRAPH_VERSIONS:
        for router in routers:
            app.include_router(router, prefix=prefix, dependencies=guarded, include_in_schema=not prefix)
    app.include_router(_observe.metrics_router, dependencies=guarded)
    app.include_router(_observe.page_router)
    return app
