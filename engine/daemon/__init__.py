"""The idsync daemon: scheduled cycles of every configured job, their lifecycle, secrets, metrics and logs.

Used by ``idsync serve`` (``engine.cli._serve``), ``idsync jobs`` and the REST API (``engine.api``).
"""

from __future__ import annotations

from ._daemon import Daemon as Daemon
from ._daemon import JobNotFound as JobNotFound
from ._daemon import ManagedJob as ManagedJob
from ._facade import EngineLike as EngineLike
from ._facade import FacadeMissing as FacadeMissing
from ._facade import JobLike as JobLike
from ._facade import load_job as load_job
from ._facade import log_pages as log_pages
from ._facade import make_engine as make_engine
from ._facade import to_json as to_json
from ._jobfiles import find_job_files as find_job_files
from ._logging import configure_logging as configure_logging
from ._logging import log_context as log_context
from ._logging import unconfigure_logging as unconfigure_logging
from ._metrics import CONTENT_TYPE as METRICS_CONTENT_TYPE
from ._metrics import Metrics as Metrics
from ._report import outcome_from_status as outcome_from_status
from ._scopes import RESET_SCOPES as RESET_SCOPES
from ._scopes import parse_reset_scope as parse_reset_scope
from ._secrets import SecretStore as SecretStore

__all__ = [
    "METRICS_CONTENT_TYPE",
    "RESET_SCOPES",
    "Daemon",
    "EngineLike",
    "FacadeMissing",
    "JobLike",
    "JobNotFound",
    "ManagedJob",
    "Metrics",
    "SecretStore",
    "configure_logging",
    "find_job_files",
    "load_job",
    "log_context",
    "log_pages",
    "make_engine",
    "outcome_from_status",
    "parse_reset_scope",
    "to_json",
    "unconfigure_logging",
]
