"""The ``idsync`` command line.

Each command lives in its own module (``_<command>.py``) and is registered below. Exit codes are the same
for every command and written down once, in ``_common``'s docstring.
"""

from __future__ import annotations

import click

from ._common import CommandGroup
from ._process import keeping_what_lives, tune_collector


@click.group(cls=CommandGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="idsync")
def main() -> None:
    """idsync: run Microsoft Entra / Graph synchronization schemas locally."""
    tune_collector()  # the command owns its process


__all__ = ["keeping_what_lives", "main", "tune_collector"]

from ._jobs import jobs as _jobs_command  # noqa: E402
from ._serve import serve as _serve_command  # noqa: E402

main.add_command(_serve_command)
main.add_command(_jobs_command)

from ._templates import templates as _templates_command  # noqa: E402

main.add_command(_templates_command)

from ._parse_expression import parse_expression as _parse_expression_command  # noqa: E402

main.add_command(_parse_expression_command)

from ._validate import validate_command as _validate_command  # noqa: E402

main.add_command(_validate_command)

from ._dry_run import dry_run_command as _dry_run_command  # noqa: E402
from ._explain import explain_command as _explain_command  # noqa: E402
from ._logs import logs_command as _logs_command  # noqa: E402
from ._run import run_command as _run_command  # noqa: E402

main.add_command(_run_command)
main.add_command(_dry_run_command)
main.add_command(_explain_command)
main.add_command(_logs_command)

from ._demo import demo_command as _demo_command  # noqa: E402

main.add_command(_demo_command)

from ._discover import discover_command as _discover_command  # noqa: E402

main.add_command(_discover_command)

from ._connect import test_connection_command as _test_connection_command  # noqa: E402
from ._provision import provision_command as _provision_command  # noqa: E402

main.add_command(_provision_command)

from ._schema import schema_command as _schema_command  # noqa: E402

main.add_command(_schema_command)
main.add_command(_test_connection_command)

from ._worker import worker_command as _worker_command  # noqa: E402

main.add_command(_worker_command)
