"""A fleet worker's settings: its executor id, the DBOS system database, concurrency, polling.

Each comes from the command line first, then the environment (``IDSYNC_SYSTEM_DATABASE``,
``IDSYNC_WORKER_CONCURRENCY``, ``IDSYNC_POLL_INTERVAL``, ``IDSYNC_TICK_INTERVAL``), then a default. The system
database defaults to the state database of the jobs (which must then all share one).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import metadata

__all__ = ["FleetSettings", "FleetSettingsError", "app_version"]

SYSTEM_DATABASE_ENV = "IDSYNC_SYSTEM_DATABASE"
_EXECUTOR = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,59}$")


class FleetSettingsError(ValueError):
    """A setting of the fleet is missing or wrong (a usage error: the message says which and why)."""


def app_version() -> str:
    """DBOS's ``application_version``: the package version, so a worker recovers only the cycles a worker
    of the same idsync started (a cycle's code must not change under its recovery)."""
    try:
        return f"idsync-{metadata.version('idsync')}"
    except metadata.PackageNotFoundError:
        return "idsync-dev"


def _number(name: str, given: float | None, default: float, minimum: float) -> float:
    if given is None:
        text = os.environ.get(name, "").strip()
        if not text:
            return default
        try:
            given = float(text)
        except ValueError:
            raise FleetSettingsError(f"{name}={text!r}: expected a number") from None
    if given < minimum:
        raise FleetSettingsError(f"{name.lower().removeprefix('idsync_')}: {given} is below {minimum}")
    return given


def is_server_url(url: str) -> bool:
    return url.startswith(("postgresql", "postgres:"))


@dataclass(frozen=True)
class FleetSettings:
    executor_id: str
    system_database: str
    concurrency: int = 2
    """Cycles one worker runs at once (DBOS's ``worker_concurrency`` of the cycle queue)."""
    poll_interval: float = 0.5
    """How often a worker looks for enqueued cycles (DBOS's queue polling interval, seconds)."""
    tick_interval: float = 1.0
    """How often a worker enqueues the jobs that are due (seconds)."""
    app_version: str = ""

    @classmethod
    def resolve(
        cls,
        *,
        executor_id: str,
        state_urls: Iterable[str],
        system_database: str | None = None,
        concurrency: int | None = None,
        poll_interval: float | None = None,
    ) -> FleetSettings:
        """The settings from the command line, the environment and the jobs' state databases;
        ``FleetSettingsError`` naming what is wrong."""
        if not _EXECUTOR.match(executor_id):
            raise FleetSettingsError(
                f"--executor-id {executor_id!r}: use letters, digits, '.', '_' or '-' (at most 60), "
                "and keep it stable: a restarted worker recovers the cycles of its own id"
            )
        urls = sorted(set(state_urls))
        servers = [url for url in urls if not is_server_url(url)]
        if servers:
            raise FleetSettingsError(
                f"a worker fleet needs PostgreSQL state: {servers[0]} is not (set the job's `state:` to a "
                "postgresql:// URL)"
            )
        system = system_database or os.environ.get(SYSTEM_DATABASE_ENV, "").strip() or None
        if system is None:
            if len(urls) != 1:
                raise FleetSettingsError(
                    f"the jobs use {len(urls)} state databases: name the DBOS system database with "
                    f"--system-database or {SYSTEM_DATABASE_ENV}"
                )
            system = urls[0]
        if not is_server_url(system):
            raise FleetSettingsError(f"--system-database {system}: expected a postgresql:// URL")
        workers = int(_number("IDSYNC_WORKER_CONCURRENCY", concurrency, 2, 1))
        poll = _number("IDSYNC_POLL_INTERVAL", poll_interval, 0.5, 0.01)
        tick = _number("IDSYNC_TICK_INTERVAL", None, 1.0, 0.05)
        return cls(executor_id, system, workers, poll, tick, app_version())
