"""A job's schema (get / put / delete), the expression tools and directory discovery (spec §A.6, §C.5).

``parseExpression``, ``functions`` and ``filterOperators`` are served under both a job's schema and a
template's schema, as in Graph; they do not depend on the job, only on idsync's expression language.
``functions`` and ``filterOperators`` are Graph bound functions: the official SDKs call them with their
parentheses (``.../schema/functions()``), so both spellings are served.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Request, Response
from fastapi.responses import PlainTextResponse

import engine
import expressions
from connectors import ConnectorError
from engine.daemon import to_json

from ._collections import collection, count_response
from ._deps import daemon_of, job_of, require_principal
from ._engine_errors import engine_errors
from ._errors import GraphError
from ._models import ParseExpressionRequest
from ._templates import find_template

__all__ = ["router", "tools_router"]

_JOB = "/servicePrincipals/{principal}/synchronization/jobs/{job_id}/schema"
_TEMPLATE = "/servicePrincipals/{principal}/synchronization/templates/{template_id}/schema"

router = APIRouter(prefix=_JOB, tags=["schema"])
tools_router = APIRouter(tags=["schema"])


@router.get("", summary="Get the job's synchronization schema")
def get_schema(principal: str, job_id: str, request: Request) -> Any:
    return engine.dump_schema(job_of(request, principal, job_id).job.schema)


@router.put("", status_code=204, summary="Replace the job's schema (triggers a full resync)")
@router.patch("", status_code=204, summary="Replace the job's schema, as PUT does (what the SDKs send)")
def put_schema(
    principal: str, job_id: str, request: Request, body: Annotated[dict[str, Any], Body()]
) -> Response:
    """The new schema is checked whole before anything changes; a problem is a 400 naming its JSON path
    (``body.synchronizationRules[0]...``). Decision: the replaced schema lives in the daemon until it
    restarts; the job file stays the source of truth on disk (idsync never rewrites a user's files).

    PATCH is the same replacement: msgraph-sdk and Graph PowerShell update a schema with PATCH, and what
    they send is the whole schema (a schema has no partial update in Graph either)."""
    managed = job_of(request, principal, job_id)
    try:
        schema = engine.load_schema(body)
    except ValueError as exc:
        problems = getattr(exc, "problems", None)
        target = f"body.{problems[0].path}".rstrip(".") if problems else "body"
        raise GraphError(400, f"invalid schema: {exc}", target=target) from exc
    with engine_errors():
        daemon_of(request).replace_schema(managed, schema)
    return Response(status_code=204)


@router.delete("", status_code=204, summary="Reset the job's schema to its template (or its job file)")
def reset_schema(principal: str, job_id: str, request: Request) -> Response:
    managed = job_of(request, principal, job_id)
    with engine_errors():
        daemon_of(request).reset_schema(managed)
    return Response(status_code=204)


@router.get("/directories", summary="List the schema's directory definitions")
def list_directories(principal: str, job_id: str, request: Request) -> dict[str, Any]:
    schema = job_of(request, principal, job_id).job.schema
    return collection(request, [to_json(d) for d in schema.directories])


@router.get("/directories/$count", summary="The number of directories", response_class=PlainTextResponse)
def count_directories(principal: str, job_id: str, request: Request) -> PlainTextResponse:
    return count_response(len(job_of(request, principal, job_id).job.schema.directories))


@router.get("/directories/{directory_id}", summary="Get one directory definition")
def get_directory(principal: str, job_id: str, directory_id: str, request: Request) -> Any:
    return _directory(job_of(request, principal, job_id).job.schema, directory_id)


def _directory(schema: Any, directory_id: str) -> Any:
    for directory in schema.directories:
        if directory_id in (directory.id, directory.name):
            return to_json(directory)
    raise GraphError(404, f"no directory {directory_id!r} in the schema")


@tools_router.get(_TEMPLATE + "/directories", summary="List a template schema's directory definitions")
def list_template_directories(principal: str, template_id: str, request: Request) -> dict[str, Any]:
    require_principal(daemon_of(request), principal)
    schema = find_template(template_id).schema_
    return collection(request, [to_json(d) for d in schema.directories])


@tools_router.get(
    _TEMPLATE + "/directories/$count", summary="The number of directories", response_class=PlainTextResponse
)
def count_template_directories(principal: str, template_id: str, request: Request) -> PlainTextResponse:
    require_principal(daemon_of(request), principal)
    return count_response(len(find_template(template_id).schema_.directories))


@tools_router.get(_TEMPLATE + "/directories/{directory_id}", summary="Get a template's directory definition")
def get_template_directory(principal: str, template_id: str, directory_id: str, request: Request) -> Any:
    require_principal(daemon_of(request), principal)
    return _directory(find_template(template_id).schema_, directory_id)


@router.post("/directories/{directory_id}/discover", summary="Discover a directory's definition")
def discover(principal: str, job_id: str, directory_id: str, request: Request) -> Any:
    """The directory (by its id or name in the schema, or its name in the job file) as its connector
    describes it now; 502 when the directory cannot be reached."""
    managed = job_of(request, principal, job_id)
    schema = managed.job.schema
    names = {str(d.id): str(d.name) for d in schema.directories if d.id} | {
        str(d.name): str(d.name) for d in schema.directories if d.name
    }
    names |= {str(name): str(name) for name in getattr(managed.job, "directories", {}) or {}}
    if directory_id not in names:
        raise GraphError(
            404, f"no directory {directory_id!r} in the job (known: {', '.join(sorted(names)) or 'none'})"
        )
    try:
        with engine_errors():
            return to_json(daemon_of(request).discover(managed, names[directory_id]))
    except ConnectorError as exc:
        raise GraphError(
            502, f"directory {directory_id!r} could not be read: {exc}", code="BadGateway"
        ) from exc


def _parse(body: ParseExpressionRequest) -> Any:
    request = body.model_dump(by_alias=True, exclude_none=True)
    return expressions.parse_expression_request(request)


@tools_router.post(_JOB + "/parseExpression", summary="Parse and evaluate an expression")
def parse_expression(principal: str, job_id: str, body: ParseExpressionRequest, request: Request) -> Any:
    job_of(request, principal, job_id)
    return _parse(body)


@tools_router.post(_TEMPLATE + "/parseExpression", summary="Parse and evaluate an expression")
def parse_expression_template(
    principal: str, template_id: str, body: ParseExpressionRequest, request: Request
) -> Any:
    require_principal(daemon_of(request), principal)
    find_template(template_id)
    return _parse(body)


def _catalog(name: str) -> dict[str, Any]:
    """``engine.functions_catalog()`` / ``engine.filter_operators_catalog()``: already Graph's response."""
    catalogs = {
        "functions_catalog": engine.functions_catalog,
        "filter_operators_catalog": engine.filter_operators_catalog,
    }
    catalog = catalogs[name]()
    # Graph's attributeMappingFunctionSchema and filterOperatorSchema are entities named by their ``id``
    # (typed clients read ``id``); ``name`` stays beside it for the clients that used it.
    return {**catalog, "value": [{"id": entry.get("name"), **entry} for entry in catalog.get("value", [])]}


@tools_router.get(_JOB + "/functions()", include_in_schema=False)
@tools_router.get(_JOB + "/functions", summary="The expression function catalogue")
def functions(principal: str, job_id: str, request: Request) -> dict[str, Any]:
    job_of(request, principal, job_id)
    return _catalog("functions_catalog")


@tools_router.get(_TEMPLATE + "/functions()", include_in_schema=False)
@tools_router.get(_TEMPLATE + "/functions", summary="The expression function catalogue")
def functions_template(principal: str, template_id: str, request: Request) -> dict[str, Any]:
    require_principal(daemon_of(request), principal)
    find_template(template_id)
    return _catalog("functions_catalog")


@tools_router.get(_JOB + "/filterOperators()", include_in_schema=False)
@tools_router.get(_JOB + "/filterOperators", summary="The scoping-filter operator catalogue")
def filter_operators(principal: str, job_id: str, request: Request) -> dict[str, Any]:
    job_of(request, principal, job_id)
    return _catalog("filter_operators_catalog")


@tools_router.get(_TEMPLATE + "/filterOperators()", include_in_schema=False)
@tools_router.get(_TEMPLATE + "/filterOperators", summary="The scoping-filter operator catalogue")
def filter_operators_template(principal: str, template_id: str, request: Request) -> dict[str, Any]:
    require_principal(daemon_of(request), principal)
    find_template(template_id)
    return _catalog("filter_operators_catalog")
