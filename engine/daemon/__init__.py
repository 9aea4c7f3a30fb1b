"""The idsync daemon: scheduled cycles of every configured job, their lifecycle, secrets, metrics and logs.

Used by ``idsync serve`` (``engine.cli._serve``), ``idsync jobs`` and the REST API (``engine.api``).
"""

from __future__ import annotations

from ._apijobs import SECRET_SETTINGS as SECRET_SETTINGS
from ._apijobs import load_directory_binding as load_directory_binding
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
from ._home import DaemonHome as DaemonHome
from ._home import SecretCipher as SecretCipher
from ._home import SecretKeyMissing as SecretKeyMissing
from ._home import generate_key as generate_key
from ._jobfiles import find_job_files as find_job_files
from ._logging import configure_logging as configure_logging
from ._logging import log_context as log_context
from ._logging import unconfigure_logging as unconfigure_logging
from ._metrics import CONTENT_TYPE as METRICS_CONTENT_TYPE
from ._metrics import Metrics as Metrics
from ._report import cycle_result as cycle_result
from ._report import outcome_from_status as outcome_from_status
from ._report import report_counts as report_counts
from ._scopes import RESET_SCOPES as RESET_SCOPES
from ._scopes import parse_reset_scope as parse_reset_scope
from ._secrets import SecretStore as SecretStore

__all__ = [
    "METRICS_CONTENT_TYPE",
    "RESET_SCOPES",
    "SECRET_SETTINGS",
    "Daemon",
    "DaemonHome",
    "EngineLike",
    "FacadeMissing",
    "JobLike",
    "JobNotFound",
    "ManagedJob",
    "Metrics",
    "SecretCipher",
    "SecretKeyMissing",
    "SecretStore",
    "configure_logging",
    "cycle_result",
    "find_job_files",
    "generate_key",
    "load_directory_binding",
    "load_job",
    "log_context",
    "log_pages",
    "make_engine",
    "outcome_from_status",
    "parse_reset_scope",
    "report_counts",
    "to_json",
    "unconfigure_logging",
]
