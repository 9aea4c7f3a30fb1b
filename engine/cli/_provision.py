"""``idsync provision JOB OBJECT_ID [--type T] [--json]``: Entra's provision on demand, for real.

The one source object goes through the cycle's steps now (import, scoping, matching, processing, export;
removals skip the deletion threshold, as one object cannot be a mass delete), is written to the target, and
its provisioning log record is kept like a cycle's. The steps are printed as ``idsync explain`` prints them,
then the outcome. Exit 0 when the object was provisioned (or needed nothing), 1 when its export failed.
"""

from __future__ import annotations

import sys

import click

from ._common import EXIT_INVALID, echo_json
from ._explain import print_step
from ._jobopen import open_engine, short_type

_COLOURS = {"success": "green", "failure": "red", "skipped": "white", "warning": "yellow"}


@click.command("provision")
@click.argument("job", type=click.Path(dir_okay=False))
@click.argument("object_id")
@click.option("--type", "object_type", help="The source object type (e.g. User) when ids are not unique.")
@click.option("--json", "as_json", is_flag=True, help="Print the provisioning log record (Graph's shape).")
def provision_command(job: str, object_id: str, object_type: str | None, as_json: bool) -> None:
    """Provision source object OBJECT_ID of JOB now (Entra's provision on demand), writing the target."""
    with open_engine(job, bind=True) as engine:
        record = engine.provision_on_demand(object_id, object_type)
    status = str(record["provisioningStatusInfo"]["status"])
    if as_json:
        echo_json(record)
    else:
        for step in record.get("details") or []:
            print_step(step)
        target = record.get("targetIdentity") or {}
        outcome = click.style(status, fg=_COLOURS.get(status), bold=True)
        where = (
            f" → {short_type(str(target.get('identityType') or ''))} {target['id']}"
            if target.get("id")
            else ""
        )
        click.echo(f"provisioned: {record['provisioningAction']} {outcome}{where}")
        error = record["provisioningStatusInfo"].get("errorInformation") or {}
        if error.get("reason"):
            click.echo(click.style(f"  error: {error['reason']}", fg="red"))
        click.echo(f"  logged in cycle {record['cycleId']} (`idsync logs {job} --cycle {record['cycleId']}`)")
    if status == "failure":
        sys.exit(EXIT_INVALID)
