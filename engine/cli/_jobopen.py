"""Opening a job for a CLI command: errors become one clear line and an exit code, never a traceback."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import NoReturn

import click

import expressions
from connectors import ConnectorError
from engine._jobfile import no_such_file
from engine.job import Job, JobFileError, load_job, source_file_problems, state_problem
from engine.run import ObjectNotFound, SyncEngine
from engine.scoping import ScopeError
from engine.state import StateError, StateStore
from engine.validation import job_file_report

from ._common import EXIT_INVALID, EXIT_USAGE, fail


def _missing_sqlite_file(url: str) -> bool:
    prefix = "sqlite:///"
    return url.startswith(prefix) and url != prefix + ":memory:" and not Path(url[len(prefix) :]).exists()


def load_job_or_exit(path: str | Path) -> Job:
    """The job of the file at ``path``; exit 2 naming the file (and key, line, column) when it is missing,
    unreadable or wrong."""
    if not Path(path).is_file():
        fail(no_such_file(path), EXIT_USAGE)
    try:
        return load_job(Path(path))
    except JobFileError as exc:
        # validate's words: every error of the file, with its caret and "did you mean"
        click.echo(job_file_report(path, exc), err=True)
        sys.exit(EXIT_USAGE)


def _schema_failure(path: str, exc: Exception) -> NoReturn:
    """The schema does not compile (an expression, a scoping clause): print validate's findings, which say
    where in which file with a caret and a "did you mean", then exit 2."""
    from engine.validation import validate

    errors = [f for f in validate(Path(path)) if f.severity == "error"]
    for finding in errors:
        click.echo(finding.format(), err=True)
    if not errors:  # e.g. a schema replaced through the API, which the job file does not hold
        fail(f"{path}: the job's schema does not compile: {exc}", EXIT_USAGE)
    fail(
        f"{path}: the job's schema is invalid ({len(errors)} error(s) above; "
        "`idsync validate` lists every finding)",
        EXIT_USAGE,
    )


@contextmanager
def open_engine(path: str, *, read_only: bool = False, bind: bool = False) -> Iterator[SyncEngine]:
    """The engine of the job file at ``path``; exit 2 for an unreadable or wrong job file (its schema and,
    with ``bind``, its connector settings and ``${ENV}`` references included), 1 for a directory or state
    failure. ``read_only`` (dry-run, explain): a state file that does not exist yet is not created — an empty
    in-memory state stands in for it. ``bind``: the connectors are bound before the command starts, so a
    wrong setting is refused before anything runs or is recorded."""
    job = load_job_or_exit(path)
    missing = _missing_sqlite_file(job.state_url)
    if not (read_only and missing):
        problem = state_problem(job)
        if problem is not None:
            fail(str(problem), EXIT_USAGE)
    try:
        store = StateStore("sqlite://", job.id) if read_only and missing else None
        engine = SyncEngine(job, store=store)
    except StateError as exc:
        fail(str(exc), EXIT_INVALID)
    except (expressions.ExpressionError, ScopeError, ValueError) as exc:
        _schema_failure(path, exc)
    try:
        if bind:
            engine.connectors  # noqa: B018 -- binding is the point: settings and ${ENV} checked now
            for problem in source_file_problems(engine.job):
                fail(str(problem), EXIT_USAGE)
        yield engine
    except JobFileError as exc:
        fail(str(exc), EXIT_USAGE)
    except (ConnectorError, StateError) as exc:
        fail(str(exc), EXIT_INVALID)
    except ObjectNotFound as exc:
        fail(f"{path}: {exc}", EXIT_INVALID)
    finally:
        engine.close()


def short_type(name: str) -> str:
    """``urn:ietf:params:scim:schemas:core:2.0:User`` -> ``User`` for tables."""
    return name.rsplit(":", 1)[-1]


def show(value: object) -> str:
    if value is None:
        return "∅"
    if isinstance(value, list):
        return "[" + ", ".join(show(v) for v in value) + "]"
    if isinstance(value, bool):
        return "True" if value else "False"
    return str(value)
