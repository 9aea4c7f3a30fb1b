"""A job's schema (get / put / delete), the expression tools and directory discovery (spec §A.6, §C.5).

``parseExpression``, ``functions`` and ``filterOperators`` are served under both a job's schema and a
template's schema, as in Graph; they do not depend on the job, only on idsync's expression language.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Request, Response

import engine
import expressions
from connectors import ConnectorError
from engine.daemon import to_json

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
def put_schema(
    principal: str, job_id: str, request: Request, body: Annotated[dict[str, Any], Body()]
) -> Response:
    """The new schema is checked whole before anything changes; a problem is a 400 naming its JSON path
    (``body.synchronizationRules[0]...``). Decision: the replaced schema lives in the daemon until it
    restarts; the job file stays the source of truth on disk (idsync never rewrites a user's files)."""
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


@router.get("/directories", summary="List the schema's directory definitions (beta)")
def list_directories(principal: str, job_id: str, request: Request) -> dict[str, Any]:
    schema = job_of(request, principal, job_id).job.schema
    return {"value": [to_json(d) for d in schema.directories]}


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
    return catalogs[name]()


@tools_router.get(_JOB + "/functions", summary="The expression function catalogue")
def functions(principal: str, job_id: str, request: Request) -> dict[str, Any]:
    job_of(request, principal, job_id)
    return _catalog("functions_catalog")


@tools_router.get(_TEMPLATE + "/functions", summary="The expression function catalogue")
def functions_template(principal: str, template_id: str, request: Request) -> dict[str, Any]:
    require_principal(daemon_of(request), principal)
    find_template(template_id)
    return _catalog("functions_catalog")


@tools_router.get(_JOB + "/filterOperators", summary="The scoping-filter operator catalogue")
def filter_operators(principal: str, job_id: str, request: Request) -> dict[str, Any]:
    job_of(request, principal, job_id)
    return _catalog("filter_operators_catalog")


@tools_router.get(_TEMPLATE + "/filterOperators", summary="The scoping-filter operator catalogue")
def filter_operators_template(principal: str, template_id: str, request: Request) -> dict[str, Any]:
    require_principal(daemon_of(request), principal)
    find_template(template_id)
    return _catalog("filter_operators_catalog")
