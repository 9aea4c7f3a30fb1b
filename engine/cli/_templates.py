"""``idsync templates list`` and ``idsync templates show ID``: the built-in synchronization templates."""

from __future__ import annotations

import click

from engine.schema import SynchronizationTemplate, dump_model
from engine.templates import UnknownTemplateError, get_template, list_templates

from ._common import EXIT_USAGE, echo_json, fail


@click.group()
def templates() -> None:
    """The built-in synchronization templates (use one in a job file with `template: ID`)."""


@templates.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print Graph's list response as JSON.")
def list_command(as_json: bool) -> None:
    """List the templates with their descriptions (which name the directories a job must bind)."""
    found = list_templates()
    if as_json:
        echo_json({"value": [_summary(t) for t in found]})
        return
    for template in found:
        click.echo(click.style(template.id, bold=True))
        click.echo(click.wrap_text(template.description or "", initial_indent="  ", subsequent_indent="  "))
        click.echo()


def _summary(template: SynchronizationTemplate) -> dict[str, object]:
    document = dump_model(template)
    document.pop("schema", None)
    return document


@templates.command("show")
@click.argument("template_id", metavar="ID")
def show_command(template_id: str) -> None:
    """Print template ID (with its whole schema) as Graph JSON."""
    try:
        template = get_template(template_id)
    except UnknownTemplateError as exc:
        fail(str(exc), EXIT_USAGE)
    echo_json(dump_model(template))
