"""The sync engine: compiled rules, the pure pipeline steps (map, match, decide), cycles, dry-runs, explain.

Public through ``engine``: ``SyncEngine``, ``CycleReport``, ``Plan``, ``Action``, ``AttributeChange``,
``Operation``. Everything else is private to this package.
"""

from __future__ import annotations

from ._decide import Policy as Policy
from ._decide import decide as decide
from ._decide import diff as diff
from ._dryrun import Plan as Plan
from ._engine import RESET_SCOPES as RESET_SCOPES
from ._engine import SyncEngine as SyncEngine
from ._explain import ObjectNotFound as ObjectNotFound
from ._model import Action as Action
from ._model import AttributeChange as AttributeChange
from ._model import Operation as Operation
from ._model import Reason as Reason
from ._report import CycleReport as CycleReport
from ._rules import CompiledAttribute as CompiledAttribute
from ._rules import CompiledMapping as CompiledMapping
from ._rules import compile_rules as compile_rules

__all__ = [
    "RESET_SCOPES",
    "Action",
    "AttributeChange",
    "CompiledAttribute",
    "CompiledMapping",
    "CycleReport",
    "ObjectNotFound",
    "Operation",
    "Plan",
    "Policy",
    "Reason",
    "SyncEngine",
    "compile_rules",
    "decide",
    "diff",
]
