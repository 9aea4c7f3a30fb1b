"""Planning, pure: what a cycle should do with each object, and the cycle's policies.

Compiled rules (``compile_rules``), the map step (scoping, ``IsSoftDeleted``, expressions), matching,
decisions (flow types, deprovisioning, the essence diff), the references diff, the create journal's
decisions, and the policies of the deletion guard, escrows and watermarks. Nothing here reads a directory
or the state except through the lookups ``engine.run`` passes in (``Planner``), and nothing writes: every
function returns values. ``engine.plan`` never imports ``engine.state`` or SQLAlchemy.
"""

from __future__ import annotations

from ._decide import Policy as Policy
from ._decide import decide as decide
from ._decide import decide_delete as decide_delete
from ._decide import diff as diff
from ._decide import target_essence as target_essence
from ._intents import IntentDecision as IntentDecision
from ._intents import Outcome as Outcome
from ._intents import decide_intent as decide_intent
from ._intents import intent_operation as intent_operation
from ._intents import journal_values as journal_values
from ._intents import still_provisioned as still_provisioned
from ._map import Mapped as Mapped
from ._map import SourceState as SourceState
from ._map import derive as derive
from ._map import display_name as display_name
from ._map import map_object as map_object
from ._match import MatchResult as MatchResult
from ._match import choose as choose
from ._match import matching_values as matching_values
from ._model import NO_VALUES as NO_VALUES
from ._model import Action as Action
from ._model import AttributeChange as AttributeChange
from ._model import LinkView as LinkView
from ._model import PlannedOperation as PlannedOperation
from ._model import Reason as Reason
from ._planner import FindLookup as FindLookup
from ._planner import LinkLookup as LinkLookup
from ._planner import PagePlan as PagePlan
from ._planner import PlannedObject as PlannedObject
from ._planner import Planner as Planner
from ._planner import TargetLookup as TargetLookup
from ._policies import EscrowAttempt as EscrowAttempt
from ._policies import Verdict as Verdict
from ._policies import advance_watermark as advance_watermark
from ._policies import delete_threshold as delete_threshold
from ._policies import escrow_schedule as escrow_schedule
from ._policies import guard_verdict as guard_verdict
from ._policies import held as held
from ._references import UNCONFIRMED as UNCONFIRMED
from ._references import ReferenceDiff as ReferenceDiff
from ._references import reference_diff as reference_diff
from ._references import referenced_ids as referenced_ids
from ._references import resolve as resolve
from ._rules import CompiledAttribute as CompiledAttribute
from ._rules import CompiledMapping as CompiledMapping
from ._rules import compile_rules as compile_rules
from ._values import coerce as coerce
from ._values import is_empty as is_empty
from ._values import same as same

__all__ = [
    "NO_VALUES",
    "UNCONFIRMED",
    "Action",
    "AttributeChange",
    "CompiledAttribute",
    "CompiledMapping",
    "EscrowAttempt",
    "FindLookup",
    "IntentDecision",
    "LinkLookup",
    "LinkView",
    "Mapped",
    "MatchResult",
    "Outcome",
    "PagePlan",
    "PlannedObject",
    "PlannedOperation",
    "Planner",
    "Policy",
    "Reason",
    "ReferenceDiff",
    "SourceState",
    "TargetLookup",
    "Verdict",
    "advance_watermark",
    "choose",
    "coerce",
    "compile_rules",
    "decide",
    "decide_delete",
    "decide_intent",
    "delete_threshold",
    "derive",
    "diff",
    "display_name",
    "escrow_schedule",
    "guard_verdict",
    "held",
    "intent_operation",
    "is_empty",
    "journal_values",
    "map_object",
    "matching_values",
    "reference_diff",
    "referenced_ids",
    "resolve",
    "same",
    "still_provisioned",
    "target_essence",
]
