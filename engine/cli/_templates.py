"""``idsync templates list`` and ``idsync templates show ID``: the built-in synchronization templates."""

from __future__ import annotations

import click

import expressions
from engine.schema import AttributeMapping, SynchronizationSchema, SynchronizationTemplate, dump_model
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
@click.option("--mappings", is_flag=True, help="A readable table of the attribute mappings instead of JSON.")
def show_command(template_id: str, mappings: bool) -> None:
    """Print template ID (with its whole schema) as Graph JSON, or its attribute mappings as a table."""
    try:
        template = get_template(template_id)
    except UnknownTemplateError as exc:
        fail(str(exc), EXIT_USAGE)
    if mappings and template.schema_ is not None:
        print_mappings(template.schema_)
    else:
        echo_json(dump_model(template))


def _source_text(mapping: AttributeMapping) -> str:
    if mapping.source is None:
        return "(none)"
    try:
        compiled = mapping.compiled()
    except expressions.ExpressionError:
        compiled = None
    return (compiled.text if compiled is not None else None) or mapping.source.expression or "?"


def print_mappings(schema: SynchronizationSchema) -> None:
    """Per object mapping: ``target ← expression`` with its flow, matching priority and default."""
    for rule in schema.synchronization_rules:
        for mapping in rule.object_mappings:
            state = "" if mapping.enabled else " (disabled)"
            flows = ", ".join(sorted(mapping.flow_types))
            source = f"{rule.source_directory_name}: {mapping.source_object_name}"
            target = f"{rule.target_directory_name}: {mapping.target_object_name}"
            click.echo(click.style(f"{source} → {target}{state}", bold=True))
            click.echo(f"  flows: {flows or '-'}; scoping filter: {'yes' if mapping.scope else 'none'}")
            rows = [(m.target_attribute_name or "?", _source_text(m), m) for m in mapping.attribute_mappings]
            width = min(max((len(r[0]) for r in rows), default=0), 40)
            for target, text, m in rows:
                notes = [] if m.flow_type.value == "Always" else [m.flow_type.value]
                if m.matching_priority:
                    notes.append(f"matching {m.matching_priority}")
                if m.default_value is not None:
                    notes.append(f"default {m.default_value!r}")
                suffix = f"  [{', '.join(notes)}]" if notes else ""
                click.echo(f"  {target:<{width}} ← {text}{suffix}")
            click.echo()
