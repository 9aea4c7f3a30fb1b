"""Lookups shared by the routers: the daemon behind the app, a service principal, a managed job."""

from __future__ import annotations

from datetime import timedelta

from fastapi import Request

from engine.daemon import Daemon, ManagedJob

from ._errors import GraphError

__all__ = ["daemon_of", "iso_duration", "job_of", "require_principal"]


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


def iso_duration(value: timedelta) -> str:
    """``timedelta(minutes=40)`` -> ``PT40M`` (Graph's schedule.interval form)."""
    total = value.total_seconds()
    days, rest = divmod(total, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    text = "P" + (f"{int(days)}D" if days else "")
    clock = (f"{int(hours)}H" if hours else "") + (f"{int(minutes)}M" if minutes else "")
    if seconds:
        clock += f"{seconds:g}S"
    return text + ("T" + clock if clock else ("" if days else "T0S"))
