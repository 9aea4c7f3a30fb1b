"""``/servicePrincipals/{id}/synchronization/templates``: idsync's built-in templates (spec §C.1, §C.5)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse

import engine
from engine.daemon import to_json

from ._collections import collection, count_response
from ._deps import daemon_of, require_principal
from ._errors import GraphError

__all__ = ["GRAPH_METADATA_KEYS", "applications_router", "find_default_template", "find_template", "router"]

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


def find_default_template() -> str:
    """The id of the template marked ``default`` (Graph: the one a job gets when none is named)."""
    templates = engine.list_templates()
    chosen = next((t for t in templates if getattr(t, "default", False)), templates[0])
    return str(chosen.id)


@router.get("", summary="List synchronization templates")
@applications_router.get("", summary="List synchronization templates")
def list_templates(principal: str, request: Request) -> dict[str, Any]:
    require_principal(daemon_of(request), principal)
    return collection(request, [_without_schema(to_json(t)) for t in engine.list_templates()])


@router.get("/$count", summary="The number of templates", response_class=PlainTextResponse)
@applications_router.get("/$count", summary="The number of templates", response_class=PlainTextResponse)
def count_templates(principal: str, request: Request) -> PlainTextResponse:
    require_principal(daemon_of(request), principal)
    return count_response(len(engine.list_templates()))


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


#: Graph's synchronizationMetadata enum: the only metadata keys a typed client can read.
GRAPH_METADATA_KEYS = frozenset(
    {
        "GalleryApplicationIdentifier",
        "GalleryApplicationKey",
        "IsOAuthEnabled",
        "IsSynchronizationAgentAssignmentRequired",
        "IsSynchronizationAgentRequired",
        "IsSynchronizationInPreview",
        "OAuthSettings",
        "SynchronizationLearnMoreIbizaFwLink",
        "ConfigurationFields",
    }
)


def _without_schema(data: Any) -> Any:
    """The template as Graph answers it: the schema is a relation of its own, not inline; metadata keys
    outside Graph's enum (``idsyncBuiltIn``) become properties of their own, which typed clients keep in
    ``additional_data`` instead of reading them as a null key."""
    if not isinstance(data, dict):
        return data
    template = {k: v for k, v in data.items() if k != "schema"}
    metadata = template.get("metadata") or []
    template["metadata"] = [m for m in metadata if m.get("key") in GRAPH_METADATA_KEYS]
    for entry in metadata:
        if entry.get("key") not in GRAPH_METADATA_KEYS:
            value = entry.get("value")
            template[str(entry.get("key"))] = {"true": True, "false": False}.get(str(value), value)
    return template
