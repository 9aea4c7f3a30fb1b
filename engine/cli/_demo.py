"""``idsync demo [--dir DIR]``: the README's main command — a bundled job run end to end, offline.

It copies the demo job (300 users with managers, 20 groups, the ``scim`` template, json directories)
into DIR, runs an initial cycle and shows what happened, changes a few source objects, shows the dry-run
plan of those changes, runs the incremental cycle and shows that. No server, no network.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from engine.demo import mutate, prepare

from ._common import EXIT_INVALID
from ._dry_run import print_plan
from ._jobopen import open_engine
from ._run import print_report


def _title(text: str) -> None:
    click.echo()
    click.echo(click.style(f"== {text}", bold=True))


@click.command("demo")
@click.option(
    "--dir",
    "folder",
    default="idsync-demo",
    show_default=True,
    type=click.Path(file_okay=False),
    help="Working folder for the demo's files and state (its demo files are replaced).",
)
def demo_command(folder: str) -> None:
    """Run the bundled demo: an initial sync of 300 users and 20 groups, then an incremental one."""
    path = prepare(Path(folder))
    click.echo(f"demo job copied to {path.parent}/ (job.yaml, source.json, target.json)")
    with open_engine(str(path)) as engine:
        _title("initial cycle: everything in scope is created; a manager not created yet is set afterwards")
        first = engine.run_cycle()
        print_report(first, initial=True)
        _title("a few source changes")
        for line in mutate(path.parent):
            click.echo(f"  {line}")
        _title("dry-run of the next cycle (nothing written yet)")
        print_plan(engine.plan())
        _title("incremental cycle: only the changes are read and exported")
        second = engine.run_cycle()
        print_report(second)
        status = engine.status()
    counts = ", ".join(
        f"{e['key'].rsplit(':', 1)[-1]} {e['value']}" for e in status["synchronizedEntryCountByType"]
    )
    _title(f"status: {status['code']}; objects in sync: {counts}")
    click.echo(
        f"  see {path.parent / 'target.json'}; try `idsync logs {path}` and `idsync explain {path} user-0007`"
    )
    if not (first.succeeded and second.succeeded):
        sys.exit(EXIT_INVALID)
