"""``idsync parse-expression``: Graph's parseExpression on the command line.

Two forms:

- ``idsync parse-expression < request.json`` reads a Graph parseExpression request (``expression``,
  ``testInputObject.properties`` as ``{key, value}`` pairs, optional ``targetAttributeDefinition``) on stdin;
- ``idsync parse-expression 'Join(" ", [a], [b])' --input '{"a": "x", "b": "y"}'`` is the quick form
  (``--input`` maps attribute names to values, lists for multi-valued ones; absent attributes are null).

Both write Graph's response (parsingSucceeded, parsedExpression, evaluationSucceeded, evaluationResult,
error) as JSON on stdout. Exit 0 when it parses and evaluates, 1 when parsing or evaluation fails, 2 when
the JSON input itself is unreadable (the message gives line and column).
"""

from __future__ import annotations

import json
import sys
from typing import Any

import click

import expressions

from ._common import EXIT_INVALID, EXIT_USAGE, echo_json, fail


def _load_json(text: str, what: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        fail(f"{what} is not valid JSON: line {exc.lineno}, column {exc.colno}: {exc.msg}", EXIT_USAGE)


def _placeholders(pairs: tuple[str, ...]) -> dict[str, str]:
    filled: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip("%"):
            fail(f"--placeholder {pair!r}: write NAME=VALUE, e.g. DomainFQDN=corp.contoso.com", EXIT_USAGE)
        filled[name.strip("%")] = value
    return filled


def _quick_request(expression: str, input_json: str | None) -> dict[str, Any]:
    values = _load_json(input_json, "--input") if input_json is not None else {}
    if not isinstance(values, dict):
        fail('--input must be a JSON object of attribute values, e.g. {"givenName": "John"}', EXIT_USAGE)
    properties = []
    for key, value in values.items():
        entry: dict[str, Any] = {"key": key, "value": value}
        if isinstance(value, list):
            entry["value@odata.type"] = "#Collection(String)"
        properties.append(entry)
    return {"expression": expression, "testInputObject": {"properties": properties}}


@click.command("parse-expression")
@click.argument("expression", required=False)
@click.option(
    "--input", "input_json", metavar="JSON", help="Attribute values for the quick form, as a JSON object."
)
@click.option(
    "--default-domain", metavar="DOMAIN", help="The tenant's default verified domain (DefaultDomain())."
)
@click.option(
    "--placeholder",
    "placeholders",
    multiple=True,
    metavar="NAME=VALUE",
    help="Fill a %NAME% constant (cloud sync's %DomainFQDN%); repeatable.",
)
def parse_expression(
    expression: str | None, input_json: str | None, default_domain: str | None, placeholders: tuple[str, ...]
) -> None:
    """Parse and evaluate an expression as Graph's parseExpression does (request on stdin, or EXPRESSION)."""
    if expression is None:
        if input_json is not None:
            fail(
                "--input goes with an EXPRESSION argument; a request on stdin carries testInputObject",
                EXIT_USAGE,
            )
        request = _load_json(sys.stdin.read(), "the request on stdin")
        if not isinstance(request, dict):
            fail("the request on stdin must be a JSON object with an 'expression'", EXIT_USAGE)
    else:
        request = _quick_request(expression, input_json)
    context = expressions.EvaluationContext(
        default_domain=default_domain, placeholders=_placeholders(placeholders)
    )
    response = expressions.parse_expression_request(request, context)
    echo_json(response)
    if response["error"] is not None:
        click.echo(f"idsync: error: {response['error']['message']}", err=True)
        sys.exit(EXIT_INVALID)
