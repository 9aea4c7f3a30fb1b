"""``/servicePrincipals/{id}/synchronization/templates``: idsync's built-in templates (spec §C.1, §C.5)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

import engine
from engine.daemon import to_json

from ._deps import daemon_of, require_principal
from ._errors import GraphError

__all__ = ["applications_router", "find_template", "router"]

router = APIRouter(prefix="/servicePrincipals/{principal}/synchronization/templates", tags=["templates"])
#: Graph serves the same templates under the application object; ``{principal}`` is then the application id,
#: which for idsync is the same name as the service principal (``local`` by default).
applications_router = APIRouter(
    prefix="/applications/{principal}/synchronization/templates", tags=["templates"]
)


def find_template(template_id: str) -> Any:
    """The built-in template, or a 404 in Graph's shape."""
    try:
        return engine.get_template(template_id)
    except engine.UnknownTemplateError as exc:
        raise GraphError(404, f"no synchronization template {template_id!r}") from exc


@router.get("", summary="List synchronization templates")
@applications_router.get("", summary="List synchronization templates")
def list_templates(principal: str, request: Request) -> dict[str, Any]:
    require_principal(daemon_of(request), principal)
    templates = [_without_schema(to_json(t)) for t in engine.list_templates()]
    return {"value": templates}


@router.get("/{template_id}", summary="Get a synchronization template")
@applications_router.get("/{template_id}", summary="Get a synchronization template")
def get_template(principal: str, template_id: str, request: Request) -> Any:
    require_principal(daemon_of(request), principal)
    return _without_schema(to_json(find_template(template_id)))


@router.get("/{template_id}/schema", summary="Get a template's schema")
@applications_router.get("/{template_id}/schema", summary="Get a template's schema")
def get_template_schema(principal: str, template_id: str, request: Request) -> Any:
    require_principal(daemon_of(request), principal)
    return engine.dump_schema(find_template(template_id).schema_)


def _without_schema(data: Any) -> Any:
    # Graph returns the schema as a relation of its own, not inline in the template.
    return {k: v for k, v in data.items() if k != "schema"} if isinstance(data, dict) else data
