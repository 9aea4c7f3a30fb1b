"""``idsync validate FILE [--json]``: check a schema, template or job file and report every finding.

Exit codes: 0 valid (warnings are printed), 1 invalid (or, with ``--connect``, a directory that does not
answer), 2 usage error or unreadable file.
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import click

from engine._jobfile import no_such_file
from engine.validation import Finding, has_errors, validate, verdict

from ._common import EXIT_INVALID, EXIT_OK, EXIT_USAGE, echo_json, fail
from ._connect import print_connections, try_connections


@click.command("validate")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the findings as JSON.")
@click.option(
    "--connect",
    is_flag=True,
    help="For a job file: also open each directory and use it once (test-connection).",
)
def validate_command(file: Path, as_json: bool, connect: bool) -> None:
    """Check FILE: a Graph synchronizationSchema, a synchronizationTemplate, or a job file."""
    if not file.is_file():  # the message of every command (and of the daemon) for a missing file
        fail(no_such_file(file), EXIT_USAGE)
    findings = validate(file)
    invalid = has_errors(findings)
    connections = try_connections(file) if connect and not invalid else []
    unreachable = not all(c.ok for c in connections)
    if as_json:
        report = _report(file, findings, invalid)
        if connect:
            report["directories"] = [asdict(c) for c in connections]
        echo_json(report)
    else:
        _print(file, findings, invalid)
        print_connections(connections)
    raise SystemExit(EXIT_INVALID if invalid or unreachable else EXIT_OK)


def _report(file: Path, findings: list[Finding], invalid: bool) -> dict[str, object]:
    errors = sum(f.severity == "error" for f in findings)
    return {
        "file": str(file),
        "valid": not invalid,
        "errors": errors,
        "warnings": len(findings) - errors,
        "findings": [f.to_dict() for f in findings],
    }


def _print(file: Path, findings: list[Finding], invalid: bool) -> None:
    for finding in findings:
        click.echo(finding.format(), err=finding.severity == "error")
    click.echo(verdict(file, findings), err=invalid)
