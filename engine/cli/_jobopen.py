"""Opening a job for a CLI command: errors become one clear line and an exit code, never a traceback."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from connectors import ConnectorError
from engine.job import JobFileError, load_job
from engine.run import ObjectNotFound, SyncEngine
from engine.state import StateError, StateStore

from ._common import EXIT_INVALID, EXIT_USAGE, fail


def _missing_sqlite_file(url: str) -> bool:
    prefix = "sqlite:///"
    return url.startswith(prefix) and url != prefix + ":memory:" and not Path(url[len(prefix) :]).exists()


@contextmanager
def open_engine(path: str, *, read_only: bool = False) -> Iterator[SyncEngine]:
    """The engine of the job file at ``path``; exit 2 for an unreadable or wrong job file, 1 for a
    directory or state failure. ``read_only`` (dry-run, explain): a state file that does not exist yet is
    not created — an empty in-memory state stands in for it."""
    try:
        job = load_job(Path(path))
    except JobFileError as exc:
        fail(str(exc), EXIT_USAGE)
    try:
        store = StateStore("sqlite://", job.id) if read_only and _missing_sqlite_file(job.state_url) else None
        engine = SyncEngine(job, store=store)
    except StateError as exc:
        fail(str(exc), EXIT_INVALID)
    try:
        yield engine
    except JobFileError as exc:
        fail(str(exc), EXIT_USAGE)
    except (ConnectorError, StateError, ObjectNotFound) as exc:
        fail(str(exc), EXIT_INVALID)
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
