"""``idsync schema JOB``: the job's effective schema as Graph JSON — its schema file or template with the
job file's ``mappings:`` and ``scope:`` overlays applied (what ``run`` runs), ready to export to Entra."""

from __future__ import annotations

import click

from engine.schema import dump_schema

from ._common import echo_json
from ._jobopen import load_job_or_exit


@click.command("schema")
@click.argument("job", type=click.Path(dir_okay=False))
def schema_command(job: str) -> None:
    """Print JOB's effective synchronizationSchema (overlays applied) as Graph JSON."""
    echo_json(dump_schema(load_job_or_exit(job).schema))
