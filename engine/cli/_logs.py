"""``idsync logs JOB [--json] [--cycle ID] [--limit N]``: the provisioning log (provisioningObjectSummary)."""

from __future__ import annotations

import click

from ._common import echo_json
from ._jobopen import open_engine, short_type

_COLOURS = {"success": "green", "failure": "red", "skipped": "white", "warning": "yellow"}


@click.command("logs")
@click.argument("job", type=click.Path(dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help='Print Graph\'s shape: {"value": [records]}.')
@click.option("--cycle", "cycle_id", help="Only the records of this cycle.")
@click.option("--limit", default=200, show_default=True, help="The newest N records.")
def logs_command(job: str, as_json: bool, cycle_id: str | None, limit: int) -> None:
    """Show the provisioning log of JOB (newest last)."""
    with open_engine(job) as engine:
        records = list(reversed(engine.logs(cycle_id=cycle_id, limit=limit, newest_first=True)))
    if as_json:
        echo_json({"value": records})
        return
    for record in records:
        status = record["provisioningStatusInfo"]["status"]
        source = record["sourceIdentity"]
        line = (
            f"{record['activityDateTime'][:19]} {click.style(f'{status:<8}', fg=_COLOURS.get(status))} "
            f"{record['provisioningAction']:<12} {short_type(source.get('identityType') or '')}"
            f" {source['id']}"
        )
        if source.get("displayName"):
            line += f" ({source['displayName']})"
        error = record["provisioningStatusInfo"].get("errorInformation")
        if error and error.get("reason"):
            line += f" — {error['reason']}"
        click.echo(line)
        for prop in record["modifiedProperties"]:
            click.echo(f"{'':30}{prop['displayName']}: {prop['oldValue']} → {prop['newValue']}")
    if not records:
        click.echo("no provisioning log records yet")
