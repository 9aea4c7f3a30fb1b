"""``idsync test-connection JOB [--json]`` (also ``idsync validate JOB --connect``): open each directory the
job binds and use it once, as Entra's "Test connection" does: the connector's credential check (an LDAP bind,
a SCIM request, the file read), then for a source directory one page of one object read.

Per directory: ok, or the connector's own message. Exit 0 when every directory answers, 1 when one does not,
2 when the job file itself is wrong (as for ``run``).
"""

from __future__ import annotations

import sys
from dataclasses import asdict, dataclass
from pathlib import Path

import click

from connectors import Connector, ConnectorError
from engine.job import Job, JobFileError, bind_connectors

from ._common import EXIT_INVALID, EXIT_USAGE, echo_json, fail
from ._jobopen import load_job_or_exit


@dataclass(frozen=True)
class Connection:
    directory: str
    connector: str
    ok: bool
    message: str


def _sources(job: Job) -> dict[str, str]:
    """Source directory name -> the first object name a rule reads from it."""
    found: dict[str, str] = {}
    for rule in job.schema.synchronization_rules:
        for mapping in rule.object_mappings:
            if rule.source_directory_name and mapping.source_object_name and mapping.enabled:
                found.setdefault(rule.source_directory_name, mapping.source_object_name)
    return found


def _try(name: str, kind: str, connector: Connector, read: str | None) -> Connection:
    try:
        connector.validate_credentials()
        if read is None:
            return Connection(name, kind, True, "connected")
        pages = connector.read(read, page_size=1)
        try:
            page = next(iter(pages), None)
        finally:
            getattr(pages, "close", lambda: None)()
        count = len(page.objects) if page is not None else 0
        return Connection(name, kind, True, f"connected; read {count} {read} object(s) of the first page")
    except ConnectorError as exc:
        return Connection(name, kind, False, str(exc))


def try_connections(path: str | Path) -> list[Connection]:
    """Every bound directory tried once; exits 2 (naming where) when the job file or a binding is wrong."""
    job = load_job_or_exit(path)
    try:
        bound = bind_connectors(job)
    except JobFileError as exc:
        fail(str(exc), EXIT_USAGE)
    sources = _sources(job)
    try:
        return [
            _try(name, str(job.directories[name]["connector"]), connector, sources.get(name))
            for name, connector in bound.items()
        ]
    finally:
        for connector in bound.values():
            connector.close()


def print_connections(connections: list[Connection]) -> None:
    for item in connections:
        verdict = click.style("ok", fg="green") if item.ok else click.style("failed", fg="red", bold=True)
        click.echo(f"{item.directory} ({item.connector}): {verdict} — {item.message}", err=not item.ok)


@click.command("test-connection")
@click.argument("job", type=click.Path(dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help='Print {"directories": [{directory, ok, message}]}.')
def test_connection_command(job: str, as_json: bool) -> None:
    """Open each directory JOB binds and use it once (bind, one read); report per directory."""
    connections = try_connections(job)
    if as_json:
        echo_json({"directories": [asdict(c) for c in connections]})
    else:
        print_connections(connections)
    if not all(c.ok for c in connections):
        sys.exit(EXIT_INVALID)
