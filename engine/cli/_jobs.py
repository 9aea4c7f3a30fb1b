"""``idsync jobs list | status | start | pause | restart --scope ...``: job lifecycle against the state.

These act on a job's state database directly, so they work whether or not a daemon or a worker fleet runs.
``pause`` and ``start`` are requests in the job's control row: a cycle running in any process stops after its
current batch when paused, and a start takes effect at the job's next scheduled tick (the REST API triggers a
cycle at once). ``restart`` takes the job's lease: while a cycle holds it, it says so and changes nothing.
``list`` shows who holds each job's lease (a fleet worker by its executor id).
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import click

from engine._jobfile import no_such_file

from ._common import EXIT_USAGE, echo_json, fail
from ._jobopen import open_engine

_JOB = click.argument("job", type=click.Path(path_type=Path))


def _engine(path: Path) -> AbstractContextManager[Any]:
    """The job's engine; the shared opener turns job-file errors into exit 2 and state or directory failures
    into exit 1, each one line naming where."""
    if not path.is_file():
        fail(no_such_file(path), EXIT_USAGE)
    try:  # before the job's state is touched: a missing library must not leave a half-done command
        import engine.daemon  # noqa: F401
    except ImportError as exc:
        fail(f"`idsync jobs` cannot load the daemon package ({exc}); reinstall idsync", EXIT_USAGE)
    return open_engine(str(path))


def _status(engine: Any) -> dict[str, Any]:
    from engine.daemon import to_json

    data = to_json(engine.status())
    return dict(data) if isinstance(data, dict) else {}


@click.group("jobs")
def jobs() -> None:
    """Show and change the state of jobs (list, status, start, pause, restart)."""


@jobs.command("list")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path), metavar="JOB_OR_FOLDER...")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def list_jobs(paths: tuple[Path, ...], as_json: bool) -> None:
    """List the jobs of JOB_OR_FOLDER... with their state, last cycle and who runs them now (a fleet
    worker by its executor id)."""
    from engine.daemon import find_job_files

    try:
        files = find_job_files(paths)
    except FileNotFoundError as exc:
        fail(str(exc), EXIT_USAGE)
    rows = []
    for path in files:
        with _engine(path) as engine:
            status, job_id, held = _status(engine), engine.job.id, _held_by(engine)
        last = status.get("lastExecution") or {}
        rows.append(
            {
                "id": job_id,
                "file": str(path),
                "code": status.get("code"),
                "lastExecution": last.get("timeEnded"),
                "lastState": last.get("state"),
                "heldBy": held,
            }
        )
    if as_json:
        echo_json({"value": rows})
        return
    for row in rows:
        click.echo(
            f"{row['id']:<24} {row['code'] or '-':<12} {row['lastState'] or 'never run':<18} "
            f"{row['heldBy'] or 'idle':<36} {row['file']}"
        )


def _held_by(engine: Any) -> str | None:
    """Who runs the job now (the holder of its lease: a fleet worker by its executor id), or None."""
    holder = getattr(getattr(engine, "store", None), "lease_holder", None)
    held = holder() if callable(holder) else None
    return f"{held[0]} until {held[1]:%H:%M:%S}" if held else None


@jobs.command("status")
@_JOB
def status(job: Path) -> None:
    """Print the job's Graph synchronizationStatus as JSON."""
    with _engine(job) as engine:
        echo_json(_status(engine))


@jobs.command("start")
@_JOB
def start(job: Path) -> None:
    """Start (or resume) the job; clears quarantine."""
    with _engine(job) as engine:
        engine.start()
        click.echo(f"{job}: started ({_status(engine).get('code')})")


@jobs.command("pause")
@_JOB
def pause(job: Path) -> None:
    """Pause the job, keeping all progress."""
    with _engine(job) as engine:
        engine.pause()
        click.echo(f"{job}: paused")


@jobs.command("restart")
@_JOB
@click.option(
    "--scope",
    "scopes",
    multiple=True,
    help="Reset scope (repeat or comma-separate): Watermark, Escrows, QuarantineState, Full, "
    "ForceDeletes, ConnectorDataStore. Default: Watermark, Escrows, QuarantineState.",
)
def restart(job: Path, scopes: tuple[str, ...]) -> None:
    """Restart the job with a reset scope."""
    from engine.daemon import parse_reset_scope

    try:
        chosen = parse_reset_scope(",".join(scopes))
    except ValueError as exc:
        fail(f"--scope: {exc}", EXIT_USAGE)
    with _engine(job) as engine:
        engine.restart(chosen)
        click.echo(f"{job}: restarted (reset {', '.join(sorted(chosen))})")
