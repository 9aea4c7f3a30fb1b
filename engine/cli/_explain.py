"""``idsync explain JOB OBJECT_ID [--type T] [--json]``: provision-on-demand's steps, without writing."""

from __future__ import annotations

from typing import Any

import click

from ._common import echo_json
from ._jobopen import open_engine, show


def print_step(step: dict[str, Any]) -> None:
    name = step["step"]
    click.echo(click.style(name, bold=True))
    if name == "import":
        for key, value in step["attributes"].items():
            click.echo(f"  {key} = {show(value)}")
        if not step["found"]:
            click.echo("  (not in the source any more)")
    elif name == "scoping":
        click.echo(
            f"  in scope: {step['inScope']}, disabled: {step['disabled']}, soft-deleted: "
            f"{step['softDeleted']} → IsSoftDeleted = {step['isSoftDeleted']}"
        )
        for clause in step["clauses"]:
            click.echo(
                f"  [{clause['list']} {clause['groupIndex']}] {clause['attribute']} {clause['operator']} "
                f"{clause['values']} (value {show(clause['value'])}) → {clause['result']}"
            )
    elif name == "matching":
        if step["linkedTargetId"]:
            click.echo(f"  linked to target object {step['linkedTargetId']}")
        for tried in step["tried"]:
            click.echo(f"  {tried['attribute']} = {tried['value']!r}: {tried['hits']} hit(s)")
        if step["error"]:
            click.echo(f"  error: {step['error']}")
    elif name == "processing":
        for key, value in step["values"].items():
            click.echo(f"  {key} = {show(value)}")
        for key, value in step["references"].items():
            target = show(step["resolvedReferences"].get(key))
            click.echo(f"  {key} → source {show(value)} → target {target} (exported after the objects)")
        if step["error"]:
            click.echo(f"  error: {step['error']}")
    else:
        click.echo(f"  {step['action']} {step['targetId'] or ''} {step['reason']}".rstrip())
        for change in step["changes"]:
            click.echo(f"  {change['name']}: {show(change['old'])} → {show(change['new'])}")


@click.command("explain")
@click.argument("job", type=click.Path(dir_okay=False))
@click.argument("object_id")
@click.option("--type", "object_type", help="The source object type (e.g. User) when ids are not unique.")
@click.option("--json", "as_json", is_flag=True, help="Print the explanation as JSON.")
def explain_command(job: str, object_id: str, object_type: str | None, as_json: bool) -> None:
    """Explain what a cycle would do with source object OBJECT_ID of JOB, step by step."""
    with open_engine(job, read_only=True, bind=True) as engine:
        explanation = engine.explain(object_id, object_type)
    if as_json:
        echo_json(explanation)
        return
    click.echo(f"{explanation['sourceObjectType']} {object_id} → {explanation['targetObjectType']}")
    for step in explanation["steps"]:
        print_step(step)
