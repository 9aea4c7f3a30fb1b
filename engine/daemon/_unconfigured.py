"""Jobs created through Graph's ``POST .../synchronization/jobs {"templateId": ...}``.

Entra creates such a job Disabled with status ``NotConfigured`` until its credentials are set. Here it
stays NotConfigured until a connector is bound to each directory of its schema (``_apijobs``: the daemon's
``--directory`` bindings and the principal's secrets), or for ever when the daemon has no state folder
(``--state-dir``) to keep it in. Meanwhile it is listed and read, its schema can be read, replaced and
reset, and it can be deleted; start, restart, provisionOnDemand and validateCredentials answer with what is
missing.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from engine.run import initial_status

__all__ = ["UnconfiguredEngine", "UnconfiguredJob", "new_job_id"]


def new_job_id(template_id: str) -> str:
    """Entra's form: the template id, a dot, 32 hex digits (``scim.e4bb...``)."""
    return f"{template_id}.{uuid.uuid4().hex}"


@dataclass(frozen=True)
class UnconfiguredJob:
    id: str
    service_principal: str
    schema: Any
    template_id: str
    interval: timedelta = timedelta(minutes=40)
    path: Path = Path("<created through the API>")
    directories: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    settings: Mapping[str, Any] = field(default_factory=dict)


class UnconfiguredEngine:
    """The engine facade of a NotConfigured job: a status, and a clear refusal for everything that runs."""

    def __init__(self, job: UnconfiguredJob, reason: str | None = None) -> None:
        self.job = job
        self.reason = reason
        """What the job still needs (``_apijobs``); None: the daemon keeps no state to run API jobs in."""

    def _refuse(self) -> ValueError:
        if self.reason:
            return ValueError(f"job {self.job.id!r} is not configured: {self.reason}")
        return ValueError(
            f"job {self.job.id!r} is not configured: this daemon has no state folder to run jobs created "
            f"through the API in (serve with --state-dir DIR), or write a job file with "
            f"'template: {self.job.template_id}' and serve it"
        )

    @property
    def connectors(self) -> dict[str, Any]:
        raise self._refuse()

    def status(self) -> dict[str, Any]:
        # the engine's own never-run status, so both kinds of job answer in one shape
        return {**initial_status(), "code": "NotConfigured"}

    def run_cycle(
        self,
        *,
        full: bool = False,
        now: datetime | None = None,
        progress: Any = None,
        stop: threading.Event | None = None,
    ) -> Any:
        raise self._refuse()

    def start(self) -> None:
        raise self._refuse()

    def pause(self) -> None:
        """Nothing runs: pausing a NotConfigured job changes nothing, as in Entra."""

    def restart(self, scopes: set[str]) -> None:
        raise self._refuse()

    def explain(self, object_id: str, object_type: str | None = None) -> Any:
        raise self._refuse()

    def provision_on_demand(self, object_id: str, object_type: str | None = None) -> Any:
        raise self._refuse()

    def validate_credentials(self) -> None:
        raise self._refuse()

    def logs(
        self, *, cycle_id: str | None = None, since: int = 0, limit: int = 100, newest_first: bool = False
    ) -> list[dict[str, Any]]:
        return []

    def close(self) -> None:
        return None
