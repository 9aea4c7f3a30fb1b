"""``idsync serve JOB_OR_FOLDER... [--host] [--port] [--no-auth] [--log-json] [--runner embedded|dbos]``: the
daemon and its REST API.

``--runner embedded`` (the default) runs the jobs' cycles in this process (APScheduler, ``engine.scheduler``).
``--runner dbos`` serves the API over a worker fleet (``engine.fleet``): this process enqueues cycles (start,
restart, a schema PUT) and answers from the databases; ``idsync worker`` processes run the cycles. Operator
actions go through the database (the control row, the job's lease: 409 while a worker's cycle holds it).

The API token comes from ``IDSYNC_API_TOKEN``; without one the command refuses to start unless ``--no-auth``
is given, and then it binds to loopback only. SIGTERM / SIGINT: the server stops accepting requests, every
running cycle finishes its current batch and commits, and the process exits 0 (a second SIGINT forces the
exit). uvicorn re-raises a captured signal after a graceful shutdown, which would turn that clean stop into
"killed by SIGTERM"; ``_Server`` keeps the graceful part and drops the re-raise.
"""

from __future__ import annotations

import contextlib
import ipaddress
import logging
import os
import signal
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from types import FrameType
from typing import Any

import click

from ._common import EXIT_INVALID, EXIT_USAGE, fail

log = logging.getLogger("idsync.serve")

_LOOPBACK_NAMES = {"localhost"}


def _is_loopback(host: str) -> bool:
    if host in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _check_port(host: str, port: int) -> None:
    """Fail before any job starts when the address is taken (uvicorn would find out after startup)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        fail(f"--host {host}: {exc.strerror}", EXIT_USAGE)
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as exc:
            fail(f"cannot listen on {host}:{port}: {exc.strerror} (choose another --port)", EXIT_INVALID)


def _open_home(state_dir: Path | None, directories: tuple[str, ...]) -> Any:
    """The daemon's state folder (API-created jobs, encrypted secrets), or None without ``--state-dir``."""
    from engine.daemon import DaemonHome, SecretCipher, load_directory_binding

    if state_dir is None:
        if directories:
            fail("--directory binds directories of jobs created through the API: add --state-dir", EXIT_USAGE)
        return None
    key = os.environ.get("IDSYNC_SECRET_KEY", "").strip()
    try:
        cipher = SecretCipher(key) if key else None
        bindings = dict(load_directory_binding(spec) for spec in directories)
        home = DaemonHome(state_dir, cipher=cipher, directories=bindings)
    except (ValueError, OSError) as exc:
        fail(str(exc), EXIT_USAGE)
    if cipher is None:
        log.warning("IDSYNC_SECRET_KEY is not set: secrets PUT through the API will be refused (not stored)")
    return home


def _fleet_runner(jobs: list[Any], system_database: str | None) -> Any:
    """The fleet's runner (``--runner dbos``) for jobs loaded from job files with a PostgreSQL state."""
    from engine.fleet import FleetSettings, FleetSettingsError, FleetUnavailable, dbos_runner, job_key

    if not jobs:
        fail("--runner dbos serves the jobs of job files: give JOB_OR_FOLDER...", EXIT_USAGE)
    try:
        settings = FleetSettings.resolve(
            executor_id="serve", state_urls=[job.state_url for job in jobs], system_database=system_database
        )
        return dbos_runner(settings, {job_key(job): job.state_url for job in jobs})
    except (FleetSettingsError, FleetUnavailable) as exc:
        fail(str(exc), EXIT_USAGE)


def _load_daemon(
    arguments: tuple[Path, ...],
    home: Any = None,
    runner: str = "embedded",
    system_database: str | None = None,
) -> Any:
    from engine.daemon import Daemon, FacadeMissing, find_job_files, load_job
    from engine.validation import job_file_report

    try:
        files = find_job_files(arguments) if arguments else []
    except FileNotFoundError as exc:
        fail(str(exc), EXIT_USAGE)
    jobs = []
    for path in files:
        try:
            jobs.append(load_job(path))
        except (ValueError, OSError, LookupError) as exc:  # JobFileError names the file, key, line, column
            fail(job_file_report(path, exc), EXIT_USAGE)  # validate's report; as for `idsync run`: exit 2
    scheduler = _fleet_runner(jobs, system_database) if runner == "dbos" else None
    try:
        return Daemon(jobs, home=home, scheduler=scheduler)
    except FacadeMissing as exc:
        fail(f"this build cannot run jobs: {exc}", EXIT_INVALID)
    except ValueError as exc:
        fail(str(exc), EXIT_INVALID)


def _server_class() -> Any:
    import uvicorn

    class _Server(uvicorn.Server):
        """uvicorn's server with a graceful, exit-0 answer to SIGTERM / SIGINT."""

        auth_required = True

        @contextlib.contextmanager
        def capture_signals(self) -> Iterator[None]:
            if threading.current_thread() is not threading.main_thread():
                yield
                return
            handled = (signal.SIGINT, signal.SIGTERM)
            previous = {sig: signal.signal(sig, self._on_signal) for sig in handled}
            try:
                yield
            finally:
                for sig, handler in previous.items():
                    signal.signal(sig, handler)

        def _on_signal(self, sig: int, frame: FrameType | None) -> None:
            if self.should_exit and sig == signal.SIGINT:
                self.force_exit = True
            else:
                log.info(
                    "%s received: finishing running cycles after their current batch",
                    signal.Signals(sig).name,
                )
                self.should_exit = True

        async def startup(self, sockets: Any = None) -> None:
            await super().startup(sockets=sockets)
            if not self.should_exit:
                config = self.config
                log.info(
                    "idsync listening on http://%s:%d (API token %s)",
                    config.host,
                    config.port,
                    "required" if self.auth_required else "NOT required: --no-auth",
                )

    return _Server


@click.command("serve")
@click.argument("jobs", nargs=-1, type=click.Path(path_type=Path), metavar="JOB_OR_FOLDER...")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8080, show_default=True, type=click.IntRange(0, 65535), help="TCP port.")
@click.option("--no-auth", is_flag=True, help="Serve without a token (binds loopback only).")
@click.option("--log-json", is_flag=True, help="Write logs as one JSON object per line.")
@click.option(
    "--state-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder of the daemon's own state: jobs created through the API, secrets (IDSYNC_SECRET_KEY).",
)
@click.option(
    "--directory",
    "directories",
    multiple=True,
    metavar="NAME=FILE",
    help="Bind directory NAME of API-created jobs to the connector in FILE (e.g. their source).",
)
@click.option(
    "--runner",
    type=click.Choice(["embedded", "dbos"]),
    default="embedded",
    show_default=True,
    help="embedded: cycles run in this process; dbos: `idsync worker` processes run them (a fleet).",
)
@click.option(
    "--system-database", metavar="URL", help="--runner dbos: DBOS's database (default: the state's)."
)
def serve(
    jobs: tuple[Path, ...],
    host: str,
    port: int,
    no_auth: bool,
    log_json: bool,
    state_dir: Path | None,
    directories: tuple[str, ...],
    runner: str,
    system_database: str | None,
) -> None:
    """Run the jobs of JOB_OR_FOLDER... on their schedules and serve Graph's synchronization API.

    The API token is read from IDSYNC_API_TOKEN (required unless --no-auth). A folder gives its *.yaml,
    *.yml and *.job.json files. SIGTERM / Ctrl-C: running cycles finish their batch, then exit 0.
    With --state-dir, jobs created through the API are kept and run there (no job file needed).
    """
    if not jobs and state_dir is None:
        fail("give job files or folders, or --state-dir for jobs created through the API", EXIT_USAGE)
    if runner == "dbos" and state_dir is not None:
        fail(
            "--runner dbos serves the jobs of job files; jobs created through the API (--state-dir) run "
            "embedded only",
            EXIT_USAGE,
        )
    if system_database and runner != "dbos":
        fail("--system-database is for --runner dbos", EXIT_USAGE)
    token = os.environ.get("IDSYNC_API_TOKEN", "").strip() or None
    if no_auth and not _is_loopback(host):
        fail(
            f"--no-auth serves loopback only; drop --host {host} or set IDSYNC_API_TOKEN instead", EXIT_USAGE
        )
    if not no_auth and token is None:
        fail(
            "set the API token in the IDSYNC_API_TOKEN environment variable (or pass --no-auth to serve "
            "without one on loopback)",
            EXIT_USAGE,
        )
    try:
        import uvicorn

        from engine.api import create_app
        from engine.daemon import configure_logging
    except ImportError as exc:
        fail(f"the server needs the 'server' extra: pip install 'idsync[server]' ({exc})", EXIT_USAGE)
    configure_logging(json_lines=log_json)
    _check_port(host, port)
    daemon = _load_daemon(jobs, _open_home(state_dir, directories), runner, system_database)
    app = create_app(daemon, token=None if no_auth else token)
    config = uvicorn.Config(app, host=host, port=port, log_config=None, access_log=False, lifespan="on")
    server = _server_class()(config)
    server.auth_required = not no_auth
    server.run()
    if not server.started:
        fail(f"could not listen on {host}:{port} (see the log above)", EXIT_INVALID)
