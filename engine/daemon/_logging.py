"""Structured logs of the daemon: every line carries the job id and the cycle id it belongs to.

The ids travel in context variables (set by the daemon around a cycle or an API operation with
``log_context``), so any logger below — the engine's, a connector's — gets them without passing them
along. ``configure_logging(json_lines=True)`` writes one JSON object per line (for log shippers);
otherwise a readable text line. Secrets never reach a log line: nothing here formats request bodies.
"""

from __future__ import annotations

import contextlib
import json
import logging
import sys
from collections.abc import Iterator
from contextvars import ContextVar
from datetime import UTC, datetime

__all__ = ["configure_logging", "current_ids", "log_context", "unconfigure_logging"]

_LOGGERS = ("idsync", "engine", "connectors", "uvicorn", "uvicorn.error", "uvicorn.access")

_job_id: ContextVar[str | None] = ContextVar("idsync_job_id", default=None)
_cycle_id: ContextVar[str | None] = ContextVar("idsync_cycle_id", default=None)


@contextlib.contextmanager
def log_context(*, job_id: str | None = None, cycle_id: str | None = None) -> Iterator[None]:
    tokens = [_job_id.set(job_id)] if job_id is not None else []
    cycle_token = _cycle_id.set(cycle_id) if cycle_id is not None else None
    try:
        yield
    finally:
        if cycle_token is not None:
            _cycle_id.reset(cycle_token)
        for token in tokens:
            _job_id.reset(token)


def current_ids() -> dict[str, str]:
    ids = {"jobId": _job_id.get(), "cycleId": _cycle_id.get()}
    return {key: value for key, value in ids.items() if value is not None}


class _ContextFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        for key, value in current_ids().items():
            if not hasattr(record, key):
                setattr(record, key, value)
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat().replace("+00:00", "Z"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key in ("jobId", "cycleId"):
            if getattr(record, key, None) is not None:
                line[key] = getattr(record, key)
        fields = getattr(record, "fields", None)  # structured facts: log.info(..., extra={"fields": {...}})
        if isinstance(fields, dict):
            line.update({k: v for k, v in fields.items() if k not in line})
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)


class _TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        ids = " ".join(f"{k}={getattr(record, k)}" for k in ("jobId", "cycleId") if getattr(record, k, None))
        base = super().format(record)
        return f"{base} [{ids}]" if ids else base


def configure_logging(*, json_lines: bool = False, level: int = logging.INFO) -> logging.Handler:
    """Send idsync's and uvicorn's logs to stderr in one format; returns the handler it installed."""
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(_ContextFilter())
    handler.setFormatter(
        JsonFormatter() if json_lines else _TextFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    )
    for name in (*_LOGGERS, "apscheduler"):
        logger = logging.getLogger(name)
        logger.handlers = [handler]
        # APScheduler says "Running job ..." at INFO on every tick; the daemon logs each cycle itself.
        logger.setLevel(max(level, logging.WARNING) if name == "apscheduler" else level)
        logger.propagate = False
    return handler


def unconfigure_logging(handler: logging.Handler) -> None:
    """Undo ``configure_logging`` (tests, embedding)."""
    for name in (*_LOGGERS, "apscheduler"):
        logger = logging.getLogger(name)
        if handler in logger.handlers:
            logger.removeHandler(handler)
        logger.propagate = True
