"""Graph's ``parseExpression`` (spec §A.6): request dict → response dict. Used by the CLI and the REST API.

Request: ``expression``; ``testInputObject`` with ``properties`` as ``{key, value}`` pairs (multi-valued
ones carry ``"value@odata.type": "#Collection(String)"`` or a JSON list); optional
``targetAttributeDefinition``. Response: ``parsingSucceeded``, ``parsedExpression`` (attributeMappingSource),
``evaluationSucceeded``, ``evaluationResult`` (list of strings), ``error`` (``{code, message}`` or null).
Evaluation runs only when a test object is given.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ._compiler import CompiledExpression, compile_node
from ._context import EvaluationContext
from ._errors import ExpressionError, ExpressionSyntaxError
from ._parser import parse
from ._values import format_value


def test_record(test_object: Mapping[str, Any] | None) -> dict[str, Any]:
    """The record described by an ``expressionInputObject``'s ``properties``."""
    if test_object is None:
        return {}
    if not isinstance(test_object, Mapping):
        raise ValueError("testInputObject must be an object with 'properties'")
    properties = test_object.get("properties") or []
    if not isinstance(properties, list):
        raise ValueError('testInputObject.properties must be a list of {"key": ..., "value": ...}')
    record: dict[str, Any] = {}
    for index, prop in enumerate(properties):
        if not isinstance(prop, Mapping) or not isinstance(prop.get("key"), str):
            raise ValueError(f'testInputObject.properties[{index}]: expected {{"key": ..., "value": ...}}')
        value = prop.get("value")
        collection = "Collection" in str(prop.get("value@odata.type") or "")
        if collection and not isinstance(value, list):
            value = [] if value is None else [value]
        record[prop["key"]] = value
    return record


def parse_expression_request(
    request: Mapping[str, Any], context: EvaluationContext | None = None
) -> dict[str, Any]:
    """Answer a Graph parseExpression request the way Graph does."""
    response: dict[str, Any] = {
        "parsingSucceeded": False,
        "parsedExpression": None,
        "evaluationSucceeded": False,
        "evaluationResult": None,
        "error": None,
    }
    text = request.get("expression") if isinstance(request, Mapping) else None
    if not isinstance(text, str):
        response["error"] = {"code": "BadRequest", "message": "the request needs an 'expression' string"}
        return response
    try:
        compiled: CompiledExpression = compile_node(parse(text), text)
    except ExpressionSyntaxError as exc:
        response["error"] = {"code": "ExpressionParsingFailed", "message": str(exc)}
        return response
    response["parsingSucceeded"] = True
    response["parsedExpression"] = compiled.to_graph()
    test_object = request.get("testInputObject")
    if test_object is None:
        return response
    target = request.get("targetAttributeDefinition") or {}
    base = context or EvaluationContext()
    ctx = EvaluationContext(
        base.is_unique,
        base.default_domain,
        base.now,
        base.placeholders,
        target.get("name") if isinstance(target, Mapping) else base.target_attribute,
    )
    try:
        record = test_record(test_object)
    except ValueError as exc:
        response["error"] = {"code": "BadRequest", "message": str(exc)}
        return response
    try:
        value = compiled.evaluate(record, ctx)
    except ExpressionError as exc:
        response["error"] = {"code": "ExpressionEvaluationFailed", "message": str(exc)}
        return response
    formatted = format_value(value)
    response["evaluationSucceeded"] = True
    response["evaluationResult"] = (
        [] if formatted is None else [formatted] if isinstance(formatted, str) else formatted
    )
    return response
