"""``idsync run JOB [--full]``: one sync cycle, with a progress line on a terminal and a summary."""

from __future__ import annotations

import sys

import click

from engine.run import CycleReport

from ._common import EXIT_INVALID, echo_json
from ._jobopen import open_engine, short_type


def print_report(report: CycleReport) -> None:
    """The cycle summary: state, counts per object type and action, and the error if any."""
    state = click.style(report.state, fg="green" if report.state == "Succeeded" else "red", bold=True)
    kind = "initial/full" if report.full else "incremental"
    seconds = (report.ended - report.began).total_seconds() if report.ended else 0.0
    click.echo(f"cycle {report.id} ({kind}): {state} in {seconds:.2f}s")
    click.echo(f"  imported {report.imported}, exported {report.exported}, escrowed {report.escrowed}")
    for object_type, counts in report.counts.items():
        parts = ", ".join(f"{action} {n}" for action, n in sorted(counts.items()))
        click.echo(f"  {short_type(object_type)}: {parts}")
    if report.quarantine:
        click.echo(
            click.style(
                f"  quarantined: {report.quarantine} ({report.staged} removals held; "
                "check them with `idsync dry-run`, then `idsync jobs restart --scope "
                "ForceDeletes`)",
                fg="yellow",
            )
        )
    if report.error:
        click.echo(click.style(f"  error: {report.error}", fg="red"))


def progress_line(phase: str, done: int, total: int | None, width: int = 30) -> str:
    """One redrawn terminal line: a bar when the phase knows its total, a running count otherwise
    (a source read in pages does not know how many objects are left)."""
    if total:
        filled = min(width, width * done // total)
        return f"\r  {phase:<10} [{'#' * filled}{'.' * (width - filled)}] {done}/{total}"
    return f"\r  {phase:<10} {done} objects"


@click.command("run")
@click.argument("job", type=click.Path(dir_okay=False))
@click.option("--full", is_flag=True, help="Read everything instead of the changes since the watermark.")
@click.option("--json", "as_json", is_flag=True, help="Print the cycle report as JSON.")
def run_command(job: str, full: bool, as_json: bool) -> None:
    """Run one sync cycle of JOB; exit 0 when it succeeded, 1 when it failed."""
    interactive = sys.stderr.isatty() and not as_json

    def progress(phase: str, done: int, total: int | None) -> None:
        if interactive:
            click.echo(progress_line(phase, done, total), nl=False, err=True)

    with open_engine(job) as engine:
        report = engine.run_cycle(full=full, progress=progress)
    if interactive:
        click.echo("", err=True)
    if as_json:
        echo_json(report.to_json())
    else:
        print_report(report)
    if not report.succeeded:
        sys.exit(EXIT_INVALID)
