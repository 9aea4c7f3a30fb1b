"""``idsync dry-run JOB [--json] [--full]``: the whole plan of a cycle, writing nothing anywhere."""

from __future__ import annotations

import click

from engine.plan import PlannedOperation
from engine.run import Plan

from ._common import echo_json
from ._jobopen import open_engine, short_type, show
from ._process import keeping_what_lives

_COLOURS = {
    "create": "green",
    "update": "cyan",
    "disable": "yellow",
    "delete": "red",
    "stagedDelete": "magenta",
    "skip": "white",
    "fail": "red",
}


def _change(name: str, old: object, new: object) -> str:
    if isinstance(old, list) and isinstance(new, list):
        added = [v for v in new if v not in old]
        removed = [v for v in old if v not in new]
        parts = [f"+{show(v)}" for v in added] + [f"-{show(v)}" for v in removed]
        return f"{name}: {' '.join(parts)}"
    return f"{name}: {show(old)} → {show(new)}"


def _details(op: PlannedOperation) -> list[str]:
    lines = [_change(c.name, c.old, c.new) for c in op.changes]
    if op.reason and op.action.value not in ("create", "update"):
        lines.insert(0, f"reason: {op.reason}")
    return lines or [""]


def print_plan(plan: Plan) -> None:
    """A table of the operations, then the totals."""
    for op in plan.operations:
        action = click.style(f"{op.action.value:<12}", fg=_COLOURS.get(op.action.value))
        who = f"{short_type(op.object_type)} {op.source_id}"
        if op.display_name:
            who += f" ({op.display_name})"
        if op.target_id:
            who += f" → {op.target_id}"
        lines = _details(op)
        click.echo(f"{action} {who}")
        for line in lines:
            if line:
                click.echo(f"{'':13}  {line}")
    summary = plan.summary()
    totals = ", ".join(
        f"{name} {summary[name]}"
        for name in ("create", "update", "disable", "delete", "stagedDelete", "skip", "fail", "unchanged")
    )
    click.echo(click.style(f"plan ({'initial/full' if plan.full else 'incremental'}): {totals}", bold=True))


@click.command("dry-run")
@click.argument("job", type=click.Path(dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help='Print {"operations": [...], "summary": {...}}.')
@click.option("--full", is_flag=True, help="Plan a full cycle instead of the changes since the watermark.")
def dry_run_command(job: str, as_json: bool, full: bool) -> None:
    """Show what a cycle of JOB would create, update, disable and delete, and why, without writing."""
    with open_engine(job, read_only=True) as engine, keeping_what_lives() as keep:
        plan = engine.plan(full=full, progress=keep)
    if as_json:
        echo_json(plan.to_json())
    else:
        print_plan(plan)
