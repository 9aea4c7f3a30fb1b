"""Scoping filters (spec §B): compile once per object mapping, evaluate per object, explain per clause.

Public through ``engine``: ``evaluate_scope``, ``compile_scope``, ``explain_scope``, ``classify_scope``,
``compile_scope_result``, ``ScopeResult``, ``ScopeError``. The operator table (``OPERATORS``) also feeds
the filterOperators catalogue and the validator.
"""

from __future__ import annotations

from ._evaluate import ScopeResult as ScopeResult
from ._evaluate import as_filter as as_filter
from ._evaluate import classify_scope as classify_scope
from ._evaluate import compile_clause as compile_clause
from ._evaluate import compile_scope as compile_scope
from ._evaluate import compile_scope_explanation as compile_scope_explanation
from ._evaluate import compile_scope_result as compile_scope_result
from ._evaluate import evaluate_scope as evaluate_scope
from ._evaluate import explain_scope as explain_scope
from ._operators import OPERATORS as OPERATORS
from ._operators import Operator as Operator
from ._operators import ScopeError as ScopeError
from ._operators import find_operator as find_operator
from ._operators import known_operator_names as known_operator_names

__all__ = [
    "OPERATORS",
    "Operator",
    "ScopeError",
    "ScopeResult",
    "as_filter",
    "classify_scope",
    "compile_clause",
    "compile_scope",
    "compile_scope_explanation",
    "compile_scope_result",
    "evaluate_scope",
    "explain_scope",
    "find_operator",
    "known_operator_names",
]
