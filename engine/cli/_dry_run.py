"""``idsync dry-run JOB [--json] [--full] [--output FILE] [--summary]``: the plan of a cycle, writing nothing
anywhere (but FILE).

Without ``--output`` / ``--summary`` the whole plan is kept and printed as a table (or ``--json``). With
them it is a ``PlanStream``: ``--output FILE`` writes each operation as one JSON line as the cycle's driver
produces it (``-``: standard output), the references' updates of objects on lines of their own (see
``engine.run.PlanStream``); ``--summary`` prints the counts by object type and action with a few examples
each. Either way memory is bounded by a page, not by the plan. On a terminal a progress line is drawn on
standard error, as for ``run``.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TextIO

import click

from engine.plan import PlannedOperation
from engine.run import Plan, PlanStream

from ._common import echo_json
from ._jobopen import open_engine, short_type, show
from ._process import keeping_what_lives
from ._run import progress_line

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
    if op.reason and op.action.value != "update":
        reason = f"{op.reason}: {op.detail}" if op.detail else op.reason
        lines.insert(0, f"reason: {reason}")
    return lines or [""]


def _print_operation(
    op: PlannedOperation, indent: str = "", err: bool = False, limit: int | None = None
) -> None:
    action = click.style(f"{op.action.value:<12}", fg=_COLOURS.get(op.action.value))
    who = f"{short_type(op.object_type)} {op.source_id}"
    if op.display_name:
        who += f" ({op.display_name})"
    if op.target_id:
        who += f" → {op.target_id}"
    click.echo(f"{indent}{action} {who}", err=err)
    details = [line for line in _details(op) if line]
    if limit is not None and len(details) > limit:
        details = [*details[: limit - 1], f"… ({len(details) - limit + 1} more changes)"]
    for line in details:
        click.echo(f"{indent}{'':13}  {line}", err=err)


def _print_totals(summary: dict[str, Any], names: tuple[str, ...], err: bool = False) -> None:
    totals = ", ".join(f"{name} {summary[name]}" for name in names)
    kind = "initial/full" if summary["full"] else "incremental"
    click.echo(click.style(f"plan ({kind}): {totals}", bold=True), err=err)


_TOTALS = ("create", "update", "disable", "delete", "stagedDelete", "skip", "fail", "unchanged")
_STREAM_TOTALS = (*_TOTALS[:-1], "referenceUpdate", "unchanged")


def print_plan(plan: Plan) -> None:
    """A table of the operations, then the totals."""
    for op in plan.operations:
        _print_operation(op)
    _print_totals(plan.summary(), _TOTALS)


def print_summary(stream: PlanStream, err: bool = False) -> None:
    """Counts by object type and action, with the first few operations of each as examples (on standard
    error with ``err``: when the plan itself goes to standard output)."""
    for object_type, counts in stream.counts.items():
        parts = ", ".join(f"{action} {n:,}" for action, n in counts.items())
        click.echo(click.style(f"{short_type(object_type)}: {parts}", bold=True), err=err)
        for action, n in counts.items():
            examples = stream.examples.get((object_type, action), [])
            for op in examples:
                _print_operation(op, "  ", err, limit=4)
            if n > len(examples):
                click.echo(f"  {'':13}  … and {n - len(examples):,} more {action}", err=err)
    _print_totals(stream.summary(), _STREAM_TOTALS, err)


def _summary_json(stream: PlanStream) -> dict[str, Any]:
    data = stream.summary()
    data["examples"] = {
        f"{object_type}.{action}": [op.to_json() for op in ops]
        for (object_type, action), ops in stream.examples.items()
    }
    return data


def _progress(keep: Callable[[str, int, int | None], None], interactive: bool) -> Callable[..., None]:
    def progress(phase: str, done: int, total: int | None) -> None:
        keep(phase, done, total)
        if interactive:
            click.echo(progress_line(phase, done, total), nl=False, err=True)

    return progress


@click.command("dry-run")
@click.argument("job", type=click.Path(dir_okay=False))
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help='Print {"operations": [...], "summary": {...}} ({"summary": ...} with --output or --summary).',
)
@click.option("--full", is_flag=True, help="Plan a full cycle instead of the changes since the watermark.")
@click.option(
    "--output",
    type=click.Path(dir_okay=False, writable=True, allow_dash=True),
    help="Write the plan to FILE as JSON Lines as it is made, one operation a line (- for standard output).",
)
@click.option(
    "--summary",
    "summary_only",
    is_flag=True,
    help="Print counts by object type and action, a few examples each.",
)
def dry_run_command(job: str, as_json: bool, full: bool, output: str | None, summary_only: bool) -> None:
    """Show what a cycle of JOB would create, update, disable and delete, and why, without writing."""
    interactive = sys.stderr.isatty() and not as_json and output != "-"
    streamed = output is not None or summary_only
    with open_engine(job, read_only=True) as engine, keeping_what_lives() as keep:
        progress = _progress(keep, interactive)
        if not streamed:
            plan = engine.plan(full=full, progress=progress)
        else:
            with _opened(output) as out:
                stream = engine.plan(full=full, progress=progress, into=PlanStream(out))
    if interactive:
        click.echo("", err=True)
    if not streamed:
        if as_json:
            echo_json(plan.to_json())
        else:
            print_plan(plan)
    elif as_json and output != "-":
        echo_json({"summary": _summary_json(stream)})
    elif summary_only:
        print_summary(stream, err=output == "-")
    elif output != "-":
        _print_totals(stream.summary(), _STREAM_TOTALS)
        click.echo(f"{stream.written:,} operations written to {output}")


@contextmanager
def _opened(path: str | None) -> Iterator[TextIO | None]:
    """``--output``'s file (standard output for ``-``; nothing without it), closed after the plan."""
    if path is None or path == "-":
        yield sys.stdout if path == "-" else None
        return
    with open(path, "w", encoding="utf-8", buffering=1 << 20) as handle:
        yield handle
