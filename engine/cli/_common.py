"""Helpers shared by the CLI commands: consistent errors, exit codes and JSON output.

Exit codes, the same for every command (README, "Exit codes"):

- 0: done; the thing checked is valid, the cycle succeeded.
- 1: the thing checked or run is wrong: ``validate`` found errors, a cycle failed, a directory or the state
  database failed, an object id is unknown.
- 2: the command could not start: a bad option or argument (click's own code), a job file that is missing,
  unreadable or wrong (its keys, values, schema, connector settings, ``${ENV}`` references, state folder).
- 3, 4, 5: ``run`` only: removals held at the deletion threshold, the job busy in another process, the job
  taken over mid-cycle (``engine.cli._run``).

Every error is one ``idsync: error: FILE:LINE:COLUMN at 'key.path': what is wrong`` line on stderr (with the
validate findings above it for a wrong schema) — never a traceback. An exception no command expected is an
idsync defect: it is reported as such in one line (``IDSYNC_DEBUG=1`` shows the traceback).
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any, NoReturn

import click

EXIT_OK = 0
EXIT_INVALID = 1
EXIT_USAGE = 2


def fail(message: str, code: int = EXIT_INVALID) -> NoReturn:
    """Print ``message`` on stderr as ``idsync: error: ...`` and exit with ``code`` (never a traceback)."""
    click.echo(f"idsync: error: {message}", err=True)
    sys.exit(code)


def warn(message: str) -> None:
    """Print ``message`` on stderr as ``idsync: warning: ...``."""
    click.echo(click.style(f"idsync: warning: {message}", fg="yellow"), err=True)


def echo_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))


def input_errors() -> tuple[type[BaseException], ...]:
    """The exceptions the project raises for bad input (imported lazily: ``--help`` stays fast)."""
    import expressions
    from connectors import ConnectorError
    from engine._jobfile import JobFileError
    from engine.schema import DocumentError, SchemaLoadError
    from engine.scoping import ScopeError
    from engine.state import StateError
    from engine.templates import UnknownTemplateError

    return (
        JobFileError,
        ConnectorError,
        expressions.ExpressionError,
        ScopeError,
        DocumentError,
        SchemaLoadError,
        StateError,
        UnknownTemplateError,
    )


class CommandGroup(click.Group):
    """A click group whose commands never end in a traceback (see the module docstring)."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.exceptions.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise
        except Exception as exc:
            if os.environ.get("IDSYNC_DEBUG"):
                raise
            if isinstance(exc, input_errors()):
                fail(str(exc), EXIT_INVALID)
            if isinstance(exc, ModuleNotFoundError):
                fail(
                    f"a module this command needs is not installed ({exc}); install idsync's extras, e.g. "
                    "pip install 'idsync[server,ldap]'",
                    EXIT_USAGE,
                )
            fail(
                f"internal error: {type(exc).__name__}: {exc} — an idsync defect, please report it with the "
                "command and its input (IDSYNC_DEBUG=1 shows the traceback)",
                EXIT_INVALID,
            )
