"""``idsync discover JOB [DIRECTORY...] [--json]``: what each bound directory holds, as Graph
``directoryDefinition`` documents (the connectors' ``describe()``) -- object names and attribute definitions
to write a schema's mappings against, the way Entra's "discover" fills a schema's directories."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from connectors import Connector, ConnectorError
from engine.job import JobFileError, bind_connectors, load_job

from ._common import EXIT_INVALID, EXIT_USAGE, echo_json, fail


@click.command("discover")
@click.argument("job", type=click.Path(dir_okay=False))
@click.argument("directories", nargs=-1)
@click.option("--json", "as_json", is_flag=True, help='Print {"directories": [directoryDefinition, ...]}.')
def discover_command(job: str, directories: tuple[str, ...], as_json: bool) -> None:
    """Describe the directories bound in JOB (all of them, or the ones named)."""
    try:
        loaded = load_job(Path(job))
        bound = bind_connectors(loaded)
    except JobFileError as exc:
        fail(str(exc), EXIT_USAGE)
    try:
        unknown = [name for name in directories if name not in bound]
        if unknown:
            fail(
                f"{job}: no directory named {', '.join(map(repr, unknown))}; "
                f"the job binds {', '.join(bound)}",
                EXIT_USAGE,
            )
        definitions = [_describe(name, bound[name]) for name in (directories or tuple(bound))]
    finally:
        for connector in bound.values():
            connector.close()
    if as_json:
        echo_json({"directories": definitions})
        return
    for definition in definitions:
        _show(definition)


def _describe(name: str, connector: Connector) -> dict[str, Any]:
    try:
        return connector.describe()
    except ConnectorError as exc:
        fail(f"directory {name!r}: {exc}", EXIT_INVALID)


def _show(definition: dict[str, Any]) -> None:
    click.echo(click.style(str(definition.get("name")), bold=True))
    for obj in definition.get("objects", []):
        click.echo(f"  {obj.get('name')}")
        for attribute in obj.get("attributes", []):
            flags = [attribute.get("type") or "String"]
            flags += [flag for flag in ("multivalued", "anchor", "required") if attribute.get(flag)]
            targets = [r.get("referencedObjectName") for r in attribute.get("referencedObjects") or []]
            if targets:
                flags.append("-> " + "/".join(str(t) for t in targets))
            click.echo(f"    {attribute.get('name')}: {', '.join(flags)}")
