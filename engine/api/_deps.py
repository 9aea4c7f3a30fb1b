"""Lookups shared by the routers: the daemon behind the app, a service principal, a managed job."""

from __future__ import annotations

from fastapi import Request

from engine.daemon import Daemon, ManagedJob

from ._errors import GraphError

__all__ = ["daemon_of", "job_of", "require_principal"]


def daemon_of(request: Request) -> Daemon:
    daemon: Daemon = request.app.state.daemon
    return daemon


def require_principal(daemon: Daemon, principal: str) -> str:
    if principal not in daemon.principals():
        known = ", ".join(sorted(daemon.principals()))
        raise GraphError(404, f"no service principal {principal!r} is served here (known: {known})")
    return principal


def job_of(request: Request, principal: str, job_id: str) -> ManagedJob:
    daemon = daemon_of(request)
    require_principal(daemon, principal)
    return daemon.get(principal, job_id)
