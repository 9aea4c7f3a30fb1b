"""Entra's attribute-mapping expression language: parse, compile, evaluate, convert to/from Graph JSON.

>>> import expressions
>>> expr = expressions.compile('Join(" ", [givenName], [surname])')
>>> expr.evaluate({"givenName": "John", "surname": "Doe"})
'John Doe'

Public surface (other packages and outside tests rely on exactly these names): ``compile``,
``from_graph``, ``CompiledExpression`` (``evaluate``, ``to_graph``, ``text``, ``attribute_names``,
``function_names``, ``placeholders``, ``unsupported_functions``, ``uses_select_unique_value``,
``is_constant``), ``format_value``, ``EvaluationContext``, ``IGNORE_ATTRIBUTE``, ``IGNORE_OBJECT``,
``function_catalog``, ``parse_expression_request``, ``MappingSet`` (one generated function for a whole
mapping set) and the errors ``ExpressionError`` > ``ExpressionSyntaxError``, ``ExpressionEvaluationError``.

Behaviour worth knowing (DESIGN.md decisions, spec §A; details in each module's docstring):

- Function names and bare keywords match case-insensitively and render in the documented casing.
- Null in, null out, except where documented (Join/Coalesce skip nulls, Left/Word/Len read null as empty,
  the Is* functions test it); string functions apply to each value of a multi-valued attribute.
- ``IIF`` with a null condition and ``SelectUniqueValue`` with every candidate taken raise
  ``ExpressionEvaluationError`` (the engine escrows the object); ``IgnoreAttributeFlow`` /
  ``IgnoreFlowIfNullOrEmpty`` give ``IGNORE_ATTRIBUTE``, ``IgnoreObjectFlow`` gives ``IGNORE_OBJECT``.
- Switch compares case-sensitively; Boolean text (``"false"``) falls back to .NET's ``False`` rendering.
- Cloud-sync forms are accepted: ``%Name%`` placeholders (filled from the context), ``"t-" & [alias]``
  (read as ``Join("", ...)``), ``Contains``, ``Mid`` without length; ``AltSecIdFromNetId`` gives one
  ``alternativeSecurityId`` as JSON text (undocumented: the decision is in ``_lib_tenant``).
- Expressions are limited to 10,000 characters and 100 levels of nesting; regular expressions run with
  .NET syntax on the ``regex`` package, each match bounded by a timeout.
"""

from __future__ import annotations

import typing as _typing

from ._codegen import MappingSet as MappingSet
from ._compiler import CompiledExpression as CompiledExpression
from ._compiler import compile_node as _compile_node
from ._context import EvaluationContext as EvaluationContext
from ._errors import ExpressionError as ExpressionError
from ._errors import ExpressionEvaluationError as ExpressionEvaluationError
from ._errors import ExpressionSyntaxError as ExpressionSyntaxError
from ._graph import from_graph as _ir_from_graph
from ._parser import parse as _parse
from ._registry import function_catalog as function_catalog
from ._request import parse_expression_request as parse_expression_request
from ._values import IGNORE_ATTRIBUTE as IGNORE_ATTRIBUTE
from ._values import IGNORE_OBJECT as IGNORE_OBJECT
from ._values import format_value as format_value

if _typing.TYPE_CHECKING:
    from typing import Any


def compile(text: str) -> CompiledExpression:
    """Compile expression ``text``; raises ``ExpressionSyntaxError`` (line, column, caret) when it cannot."""
    return _compile_node(_parse(text), text)


def from_graph(source_json: dict[str, Any]) -> CompiledExpression:
    """Compile a Graph ``attributeMappingSource`` dict.

    Bad input raises ``ExpressionSyntaxError`` naming the JSON path.
    """
    return _compile_node(_ir_from_graph(source_json))


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
