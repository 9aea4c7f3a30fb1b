"""The daemon's one window onto the engine core: the job loader and the per-job ``SyncEngine``.

The daemon and the API depend on the protocols below, not on ``SyncEngine`` itself, so the fast tests run
them over stand-in engines and a job created through the API runs on a NotConfigured one. ``FacadeMissing``
marks a feature a job's engine does not offer (the API answers 501 naming it). Nothing here decides anything.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Protocol, cast, runtime_checkable

from connectors import Connector
from engine.job import Job
from engine.job import load_job as _load_job
from engine.run import SyncEngine
from engine.schema import SynchronizationSchema

__all__ = [
    "EngineLike",
    "FacadeMissing",
    "JobLike",
    "load_job",
    "log_pages",
    "make_bound_engine",
    "make_engine",
    "to_json",
]


class FacadeMissing(LookupError):
    """A job's engine does not offer what the call needs."""


@runtime_checkable
class JobLike(Protocol):
    """``engine.Job``: what the daemon reads from a loaded job file."""

    @property
    def id(self) -> str: ...

    @property
    def service_principal(self) -> str: ...

    @property
    def interval(self) -> timedelta: ...

    @property
    def path(self) -> Path: ...

    @property
    def schema(self) -> SynchronizationSchema: ...


class EngineLike(Protocol):
    """``engine.SyncEngine``: the per-job facade of the engine core."""

    def run_cycle(
        self,
        *,
        full: bool = False,
        now: datetime | None = None,
        progress: Any = None,
        stop: threading.Event | None = None,
    ) -> Any: ...

    def status(self) -> Any: ...

    def start(self) -> Any: ...

    def pause(self) -> Any: ...

    def restart(self, scopes: set[str]) -> Any: ...

    def provision_on_demand(self, object_id: str, object_type: str | None = None) -> Any: ...

    def validate_credentials(self) -> Any: ...

    def logs(
        self, *, cycle_id: str | None = None, since: int = 0, limit: int = 100, newest_first: bool = False
    ) -> list[dict[str, Any]]: ...

    def close(self) -> Any: ...


def log_pages(engine: EngineLike, *, cycle_id: str | None, page: int) -> Iterator[list[dict[str, Any]]]:
    """A job's provisioning log (Graph provisioningObjectSummary records) newest first, page by page.

    Uses ``SyncEngine.log_page`` (records plus the cursor of the next page); an engine without it is read
    through ``logs`` in a single page.
    """
    log_page = getattr(engine, "log_page", None)
    if not callable(log_page):
        yield engine.logs(cycle_id=cycle_id, limit=1_000_000, newest_first=True)
        return
    since = 0
    while True:
        records, since = log_page(cycle_id=cycle_id, since=since, limit=page, newest_first=True)
        if records:
            yield list(records)
        if not since:
            return


def load_job(path: Path) -> JobLike:
    """``engine.load_job``: ``JobFileError`` (a ``ValueError``) naming the file, key, line and column."""
    return _load_job(path)


def make_engine(job: JobLike) -> EngineLike:
    """``engine.SyncEngine`` for a job loaded by ``load_job``."""
    return SyncEngine(cast(Job, job))


def make_bound_engine(job: Job, connectors: Mapping[str, Connector]) -> EngineLike:
    """``engine.SyncEngine`` over connectors the daemon bound itself (a job created through the API)."""
    return SyncEngine(job, connectors=connectors)


def to_json(value: Any) -> Any:
    """A pydantic model, dataclass or plain value as JSON-ready data with Graph's camelCase names."""
    dump = getattr(value, "model_dump", None)
    if callable(dump):
        return dump(mode="json", by_alias=True, exclude_none=True)
    for method in ("to_json", "to_dict"):  # the engine's value types (CycleReport.to_json)
        as_data = getattr(value, method, None)
        if callable(as_data):
            return as_data()
    if isinstance(value, Mapping):
        return {str(k): to_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_json(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    return value
