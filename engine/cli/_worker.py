"""``idsync worker JOB_OR_FOLDER... --executor-id ID [--system-database URL] [--concurrency N]``: one
worker of a fleet on DBOS Transact (``engine.fleet``).

The jobs' ``state`` must be a PostgreSQL URL; the DBOS system database is ``--system-database``, else
``IDSYNC_SYSTEM_DATABASE``, else the jobs' state database. Keep the executor id stable across restarts (a
systemd instance name, a StatefulSet pod name): a worker restarted with its id, here or on another host,
recovers the cycles it was running. SIGTERM / SIGINT: running cycles commit their current batch, then exit 0.
"""

from __future__ import annotations

import logging
import signal
import threading
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

import click

from ._common import EXIT_INVALID, EXIT_USAGE, fail

if TYPE_CHECKING:
    from engine.daemon import Metrics

log = logging.getLogger("idsync.worker")


def _load_jobs(paths: tuple[Path, ...]) -> list[object]:
    from engine.daemon import find_job_files, load_job

    try:
        files = find_job_files(paths)
    except FileNotFoundError as exc:
        fail(str(exc), EXIT_USAGE)
    if not files:
        fail(f"no job files in {', '.join(map(str, paths))}", EXIT_USAGE)
    jobs: list[object] = []
    for path in files:
        try:
            jobs.append(load_job(path))
        except (ValueError, OSError, LookupError) as exc:  # names the file, key, line, column
            fail(str(exc), EXIT_USAGE)
    return jobs


def _serve_metrics(host: str, port: int) -> Metrics:
    """This worker's Prometheus metrics (cycles, duration, objects by action, errors) on ``host:port``."""
    from prometheus_client import start_http_server

    from engine.daemon import Metrics

    metrics: Metrics = Metrics()
    try:
        start_http_server(port, addr=host, registry=metrics.registry)
    except OSError as exc:
        fail(f"--metrics-port {port}: cannot listen on {host}:{port}: {exc.strerror}", EXIT_INVALID)
    return metrics


@click.command("worker")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path), metavar="JOB_OR_FOLDER...")
@click.option("--executor-id", required=True, help="This worker's stable id (recovers its cycles).")
@click.option("--system-database", metavar="URL", help="DBOS's database (default: the jobs' state database).")
@click.option("--concurrency", type=click.IntRange(1, 64), help="Cycles run at once per worker (default 2).")
@click.option("--poll-interval", type=click.FloatRange(0.01, 60), help="Seconds between queue polls (0.5).")
@click.option("--log-json", is_flag=True, help="Write logs as one JSON object per line.")
@click.option("--metrics-port", type=click.IntRange(1, 65535), help="Serve Prometheus metrics on this port.")
@click.option("--metrics-host", default="127.0.0.1", show_default=True, help="Address of --metrics-port.")
def worker_command(
    paths: tuple[Path, ...],
    executor_id: str,
    system_database: str | None,
    concurrency: int | None,
    poll_interval: float | None,
    log_json: bool,
    metrics_port: int | None,
    metrics_host: str,
) -> None:
    """Run the jobs of JOB_OR_FOLDER... as one worker of a fleet sharing a PostgreSQL database."""
    from engine.daemon import configure_logging
    from engine.fleet import FleetSettings, FleetSettingsError, FleetUnavailable, run_worker
    from engine.job import Job
    from engine.state import StateError

    jobs = [job for job in _load_jobs(paths) if isinstance(job, Job)]
    try:
        settings = FleetSettings.resolve(
            executor_id=executor_id,
            state_urls=[job.state_url for job in jobs],
            system_database=system_database,
            concurrency=concurrency,
            poll_interval=poll_interval,
        )
    except FleetSettingsError as exc:
        fail(str(exc), EXIT_USAGE)
    configure_logging(json_lines=log_json)
    stop = threading.Event()

    def _on_signal(sig: int, frame: FrameType | None) -> None:
        log.info("%s received: finishing running cycles after their current batch", signal.Signals(sig).name)
        stop.set()

    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, _on_signal)
    metrics = _serve_metrics(metrics_host, metrics_port) if metrics_port else None
    try:
        run_worker(jobs, settings, stop, metrics)
    except FleetUnavailable as exc:
        fail(str(exc), EXIT_USAGE)
    except (StateError, ValueError) as exc:
        fail(str(exc), EXIT_INVALID)
