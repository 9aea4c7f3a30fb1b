"""Entra's attribute-mapping expression language: parse, compile, evaluate, convert to/from Graph JSON.

>>> import expressions
>>> expr = expressions.compile('Join(" ", [givenName], [surname])')
>>> expr.evaluate({"givenName": "John", "surname": "Doe"})
'John Doe'

Public surface (other packages and outside tests rely on exactly these names): ``compile``,
``from_graph``, ``CompiledExpression`` (``evaluate``, ``to_graph``, ``text``, ``attribute_names``,
``function_names``, ``placeholders``, ``unsupported_functions``, ``uses_select_unique_value``,
``is_constant``), ``format_value``, ``EvaluationContext``, ``IGNORE_ATTRIBUTE``, ``IGNORE_OBJECT``,
``function_catalog``, ``parse_expression_request`` and the errors ``ExpressionError`` >
``ExpressionSyntaxError``, ``ExpressionEvaluationError``.
"""

from __future__ import annotations

from typing import Any

from ._codegen import MappingSet as MappingSet
from ._compiler import CompiledExpression as CompiledExpression
from ._compiler import compile_node
from ._context import EvaluationContext as EvaluationContext
from ._errors import ExpressionError as ExpressionError
from ._errors import ExpressionEvaluationError as ExpressionEvaluationError
from ._errors import ExpressionSyntaxError as ExpressionSyntaxError
from ._graph import from_graph as _ir_from_graph
from ._parser import parse
from ._registry import function_catalog as function_catalog
from ._request import parse_expression_request as parse_expression_request
from ._values import IGNORE_ATTRIBUTE as IGNORE_ATTRIBUTE
from ._values import IGNORE_OBJECT as IGNORE_OBJECT
from ._values import format_value as format_value


def compile(text: str) -> CompiledExpression:
    """Compile expression ``text``; raises ``ExpressionSyntaxError`` (line, column, caret) when it cannot."""
    return compile_node(parse(text), text)


def from_graph(source_json: dict[str, Any]) -> CompiledExpression:
    """Compile a Graph ``attributeMappingSource`` dict.

    Bad input raises ``ExpressionSyntaxError`` naming the JSON path.
    """
    return compile_node(_ir_from_graph(source_json))


__all__ = [
    "IGNORE_ATTRIBUTE",
    "IGNORE_OBJECT",
    "CompiledExpression",
    "EvaluationContext",
    "ExpressionError",
    "ExpressionEvaluationError",
    "ExpressionSyntaxError",
    "MappingSet",
    "compile",
    "format_value",
    "from_graph",
    "function_catalog",
    "parse_expression_request",
]
