"""``idsync validate FILE [--json]``: check a schema, template or job file and report every finding.

Exit codes: 0 valid (warnings are printed), 1 invalid (or, with ``--connect``, a directory that does not
answer), 2 usage error or unreadable file.
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import click

from engine.validation import Finding, has_errors, validate

from ._common import EXIT_INVALID, EXIT_OK, echo_json
from ._connect import print_connections, try_connections


@click.command("validate")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, readable=True, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the findings as JSON.")
@click.option(
    "--connect",
    is_flag=True,
    help="For a job file: also open each directory and use it once (test-connection).",
)
def validate_command(file: Path, as_json: bool, connect: bool) -> None:
    """Check FILE: a Graph synchronizationSchema, a synchronizationTemplate, or a job file."""
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
    errors = sum(f.severity == "error" for f in findings)
    warnings = len(findings) - errors
    verdict = "invalid" if invalid else "valid"
    click.echo(f"{file}: {verdict} ({errors} error(s), {warnings} warning(s))", err=invalid)
