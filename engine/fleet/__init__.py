"""A fleet of ``idsync worker`` processes on DBOS Transact, over PostgreSQL state (DESIGN.md, "Growing past
one machine").

Each worker runs the jobs of its job files: a tick claims the due ones in the state database's schedule
(``engine.state.Schedule``) and enqueues one cycle workflow each on a DBOS queue, deduplicated by
``principal/job``; any worker dequeues it and runs the cycle as one step under the job's lease
(``engine.state._lease``: every state commit and target batch checks its fencing epoch). A worker killed
mid-cycle and restarted with its executor id recovers the cycle, which runs again from its start (the
engine's journals make that safe). Operator controls go through the database (``engine.state._control``).

Modules: ``_settings`` (executor id, system database, concurrency, polling), ``_host`` (the worker's jobs,
schedule and one cycle, without DBOS), ``_dbos`` (the only module that imports ``dbos``: the workflow,
the worker loop and ``DbosRunner``, the daemon's runner for ``idsync serve --runner dbos``). ``dbos`` is an
optional dependency (``pip install 'idsync[fleet]'``): ``run_worker`` and ``dbos_runner`` import it when
called and raise ``FleetUnavailable`` without it.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from engine.daemon import Metrics
from engine.job import Job

from ._host import WorkerHost, job_key
from ._settings import FleetSettings, FleetSettingsError, app_version

if TYPE_CHECKING:
    from ._dbos import DbosRunner

__all__ = [
    "FleetSettings",
    "FleetSettingsError",
    "FleetUnavailable",
    "WorkerHost",
    "app_version",
    "dbos_runner",
    "job_key",
    "run_worker",
]


class FleetUnavailable(RuntimeError):
    """DBOS Transact is not installed (the ``fleet`` extra)."""


def _runtime() -> object:
    try:
        from . import _dbos
    except ImportError as exc:
        raise FleetUnavailable(
            f"the worker fleet needs DBOS Transact: pip install 'idsync[fleet]' ({exc})"
        ) from exc
    return _dbos


def run_worker(
    jobs: Sequence[Job], settings: FleetSettings, stop: threading.Event, metrics: Metrics | None = None
) -> None:
    """Run ``jobs`` as fleet worker ``settings.executor_id`` until ``stop`` is set (``metrics``: recorded
    per cycle)."""
    _runtime()
    from ._dbos import run_worker as run

    run(jobs, settings, stop, metrics)


def dbos_runner(settings: FleetSettings, urls: Mapping[str, str]) -> DbosRunner:
    """The daemon's runner over the fleet (``idsync serve --runner dbos``)."""
    _runtime()
    from ._dbos import DbosRunner

    return DbosRunner(settings, urls)
