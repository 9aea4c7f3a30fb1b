"""Running a job: the one driver of a cycle over its two sinks (a cycle applies, a dry-run previews),
``SyncEngine`` (cycles, dry-runs, explain, provisioning on demand, status, restarts), cycle reports, plans and
provisioning log records. The only package that calls connectors and writes the state.

Public through ``engine``: ``SyncEngine``, ``CycleReport``, ``Plan``, ``ObjectNotFound``, ``RESET_SCOPES``
(and ``engine.run.PlanStream``).
"""

from __future__ import annotations

from ._engine import RESET_SCOPES as RESET_SCOPES
from ._engine import SyncEngine as SyncEngine
from ._explain import ObjectNotFound as ObjectNotFound
from ._plan import Plan as Plan
from ._plan import PlanStream as PlanStream
from ._report import CycleReport as CycleReport
from ._report import initial_status as initial_status

__all__ = [
    "RESET_SCOPES",
    "CycleReport",
    "ObjectNotFound",
    "Plan",
    "PlanStream",
    "SyncEngine",
    "initial_status",
]
