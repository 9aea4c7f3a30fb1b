"""What ``idsync validate`` prints, as text, for the commands and the daemon that refuse a job file: they say
exactly what validate says (every error with its caret and "did you mean", then the verdict line), not only
the loader's first complaint."""

from __future__ import annotations

from pathlib import Path

from engine._jobfile import no_such_file

from ._finding import Finding


def verdict(file: Path | str, findings: list[Finding]) -> str:
    """``job.yaml: invalid (3 error(s), 0 warning(s))``: validate's last line."""
    errors = sum(f.severity == "error" for f in findings)
    state = "invalid" if errors else "valid"
    return f"{file}: {state} ({errors} error(s), {len(findings) - errors} warning(s))"


def job_file_report(path: Path | str, error: Exception | None = None) -> str:
    """validate's report of the errors of the job file at ``path`` (a missing file: validate's message);
    ``error``, the loader's own exception, stands in when validate finds no error (a problem only a run
    meets, e.g. a schema replaced through the API)."""
    from . import validate

    if not Path(path).is_file():
        return no_such_file(path)
    errors = [f for f in validate(Path(path)) if f.severity == "error"]
    if not errors:
        return str(error) if error is not None else verdict(path, errors)
    return "\n".join([*(f.format() for f in errors), verdict(path, errors)])
