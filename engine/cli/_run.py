"""``idsync run JOB [--full]``: one sync cycle, with a progress line on a terminal and a summary."""

from __future__ import annotations

import sys

import click

from engine.run import CycleReport, SyncEngine

from ._attributes import unknown_source_attributes
from ._common import EXIT_INVALID, echo_json, warn
from ._jobopen import open_engine, short_type


def reads_everything(engine: SyncEngine) -> bool:
    """Whether the next cycle is an initial one: no object mapping has a watermark yet (a job's first
    cycle, or after a restart that reset them), so it reads everything whatever ``--full`` says."""
    return all(engine.store.watermark(mapping.key) is None for mapping in engine.mappings)


def print_report(report: CycleReport, *, initial: bool = False) -> None:
    """The cycle summary: state, counts per object type and action, and the error if any. ``initial``: the
    cycle read everything because nothing had been read before (``reads_everything`` before it ran)."""
    state = click.style(report.state, fg="green" if report.state == "Succeeded" else "red", bold=True)
    kind = "initial/full" if report.full or initial else "incremental"
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


# --- issue 14: one writer per job (``--wait``) and the exit codes of a cycle ------------------------------
EXIT_HELD = 3
"""The cycle held removals at the deletion threshold (the job is quarantined: TooManyDeletes)."""
EXIT_BUSY = 4
"""Another process holds the job (a cycle, ``serve``, a restart...): nothing was done."""
EXIT_FENCED = 5
"""This process's lease was taken over mid-cycle: it stopped and wrote nothing more."""


def exit_code(report: CycleReport) -> int:
    """0 succeeded; 1 failed; 3 removals held (quarantined); 4 job busy; 5 fenced."""
    if report.error_code == "JobBusy":
        return EXIT_BUSY
    if report.error_code == "Fenced":
        return EXIT_FENCED
    if not report.succeeded:
        return EXIT_INVALID
    return EXIT_HELD if report.quarantine else 0


# --- end of issue 14's part ---------------------------------------------------------------------------


@click.command("run")
@click.argument("job", type=click.Path(dir_okay=False))
@click.option("--full", is_flag=True, help="Read everything instead of the changes since the watermark.")
@click.option("--json", "as_json", is_flag=True, help="Print the cycle report as JSON.")
@click.option(
    "--wait",
    type=click.FloatRange(min=0),
    default=0,
    show_default=True,
    metavar="SECONDS",
    help="When another process is running the job, wait up to SECONDS for it to finish.",
)
def run_command(job: str, full: bool, as_json: bool, wait: float) -> None:
    """Run one sync cycle of JOB. Exit 0 when it succeeded, 1 when it failed, 3 when it held removals at
    the deletion threshold (quarantine), 4 when another process is running the job (nothing done), 5 when
    another process took the job over mid-cycle (this one stopped)."""
    interactive = sys.stderr.isatty() and not as_json

    def progress(phase: str, done: int, total: int | None) -> None:
        if interactive:
            click.echo(progress_line(phase, done, total), nl=False, err=True)

    with open_engine(job, bind=True) as engine:
        if engine.status().get("paused"):
            warn(
                f"job {engine.job.id!r} is paused: its schedule does not run it; this one cycle runs because "
                f"you asked (`idsync jobs start {job}` resumes the schedule)"
            )
        for message in unknown_source_attributes(engine.job.schema):
            warn(message)
        initial = reads_everything(engine)
        report = engine.run_cycle(full=full, progress=progress, wait=wait)
    if interactive:
        click.echo("", err=True)
    if as_json:
        echo_json(report.to_json())
    else:
        print_report(report, initial=initial)
    code = exit_code(report)
    if code:
        sys.exit(code)
