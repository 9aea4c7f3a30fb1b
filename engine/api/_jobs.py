"""``/servicePrincipals/{id}/synchronization/jobs`` and the job actions (spec §C.5).

start / pause / restart answer 204 like Graph; provisionOnDemand answers Graph's stringKeyStringValuePair
whose ``key`` is JSON ``{result, details}`` and whose ``value`` is the provisioning log record (spec §C.4).
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import PlainTextResponse

from connectors import ConnectorError
from engine._duration import format_duration
from engine.daemon import Daemon, FacadeMissing, ManagedJob, to_json

from ._collections import collection, count_response
from ._deps import daemon_of, job_of, require_principal
from ._engine_errors import engine_errors
from ._errors import GraphError
from ._models import CreateJobRequest, ProvisionOnDemandRequest, RestartRequest, ValidateCredentialsRequest
from ._templates import find_default_template, find_template

__all__ = ["job_json", "router"]

router = APIRouter(prefix="/servicePrincipals/{principal}/synchronization/jobs", tags=["jobs"])


def _settings(managed: ManagedJob) -> list[dict[str, str]]:
    settings = getattr(managed.job, "settings", None)
    items = settings.items() if isinstance(settings, dict) else vars(settings).items() if settings else []
    return [{"name": str(k), "value": v if isinstance(v, str) else json.dumps(v)} for k, v in items]


def job_json(daemon: Daemon, managed: ManagedJob) -> dict[str, Any]:
    status = daemon.status(managed)
    code = status.get("code")
    record = daemon.api_record(managed)
    state = (
        "Paused"
        if code == "Paused"
        else "Disabled"
        if code in ("Disabled", "NotConfigured") or (record is not None and not record.started)
        else "Active"
    )
    return {
        "id": managed.id,
        "templateId": getattr(managed.job, "template_id", None) or "custom",
        "schedule": {"expiration": None, "interval": format_duration(managed.job.interval), "state": state},
        "status": status,
        "synchronizationJobSettings": _settings(managed),
        # idsync's own (typed clients keep it in additional_data): when the scheduler runs the job next
        "nextCycleDateTime": _next_cycle(daemon, managed, state),
    }


def _next_cycle(daemon: Daemon, managed: ManagedJob, state: str) -> str | None:
    when = daemon.scheduler.next_run(managed.key) if state == "Active" else None
    return when.isoformat().replace("+00:00", "Z") if when is not None else None


@router.get("", summary="List synchronization jobs")
def list_jobs(principal: str, request: Request) -> dict[str, Any]:
    daemon = daemon_of(request)
    require_principal(daemon, principal)
    return collection(request, [job_json(daemon, m) for m in daemon.jobs(principal)])


@router.get("/$count", summary="The number of synchronization jobs", response_class=PlainTextResponse)
def count_jobs(principal: str, request: Request) -> PlainTextResponse:
    daemon = daemon_of(request)
    require_principal(daemon, principal)
    return count_response(len(daemon.jobs(principal)))


@router.post("/validateCredentials", status_code=204, summary="Check credentials against a template")
def validate_template_credentials(
    principal: str, body: ValidateCredentialsRequest, request: Request
) -> Response:
    """Graph's collection-level validateCredentials: the template's target directory (``templateId``; the
    default template when absent) is bound with ``credentials`` — or, with ``useSavedCredentials``, the
    service principal's secrets — and asked whether it answers. 204, or 400 ``CredentialsInvalid``."""
    daemon = daemon_of(request)
    require_principal(daemon, principal)
    template_id = body.template_id or find_default_template()
    find_template(template_id)
    given = None if body.use_saved_credentials else {pair.key: pair.value for pair in body.credentials}
    try:
        with engine_errors(invalid_code="CredentialsInvalid"):
            daemon.validate_template_credentials(principal, template_id, given)
    except ConnectorError as exc:
        raise GraphError(400, f"credentials are not valid: {exc}", code="CredentialsInvalid") from exc
    return Response(status_code=204)


@router.post("", status_code=201, summary="Create a job from a template")
def create_job(principal: str, body: CreateJobRequest, request: Request) -> dict[str, Any]:
    """As in Entra the job is created Disabled with status NotConfigured; with the daemon's ``--directory``
    bindings and the principal's secrets it becomes configured, and ``start`` runs it. It is kept in the
    daemon's state folder (``--state-dir``), so it outlives a restart. See ``engine.daemon._apijobs``."""
    daemon = daemon_of(request)
    require_principal(daemon, principal)
    try:
        managed = daemon.create_from_template(principal, body.template_id)
    except FacadeMissing:
        raise
    except (LookupError, ValueError) as exc:
        raise GraphError(
            404, f"no synchronization template {body.template_id!r}", target="body.templateId"
        ) from exc
    return job_json(daemon, managed)


@router.get("/{job_id}", summary="Get a synchronization job")
def get_job(principal: str, job_id: str, request: Request) -> dict[str, Any]:
    return job_json(daemon_of(request), job_of(request, principal, job_id))


@router.delete("/{job_id}", status_code=204, summary="Stop and remove a job from the daemon")
def delete_job(principal: str, job_id: str, request: Request) -> Response:
    daemon_of(request).remove(job_of(request, principal, job_id))
    return Response(status_code=204)


@router.post("/{job_id}/start", status_code=204, summary="Start or resume a job; clears quarantine")
def start_job(principal: str, job_id: str, request: Request) -> Response:
    managed = job_of(request, principal, job_id)
    with engine_errors():
        daemon_of(request).start_job(managed)
    return Response(status_code=204)


@router.post("/{job_id}/pause", status_code=204, summary="Pause a job, keeping all progress")
def pause_job(principal: str, job_id: str, request: Request) -> Response:
    managed = job_of(request, principal, job_id)
    with engine_errors():
        daemon_of(request).pause_job(managed)
    return Response(status_code=204)


@router.post("/{job_id}/restart", status_code=204, summary="Restart a job with a reset scope")
def restart_job(
    principal: str, job_id: str, request: Request, body: RestartRequest | None = None
) -> Response:
    managed = job_of(request, principal, job_id)
    with engine_errors():
        daemon_of(request).restart_job(managed, (body or RestartRequest()).scopes())
    return Response(status_code=204)


@router.post("/{job_id}/validateCredentials", status_code=204, summary="Check the job's connections")
def validate_credentials(
    principal: str, job_id: str, request: Request, body: ValidateCredentialsRequest | None = None
) -> Response:
    """204 when every directory of the job answers with its configured credentials; 400
    ``CredentialsInvalid`` naming the failure otherwise. Decision: credentials passed in the body are not
    tried — idsync's connections are configured in the job file (``${ENV}`` secrets), so those are checked."""
    managed = job_of(request, principal, job_id)
    try:
        with engine_errors(invalid_code="CredentialsInvalid"):
            daemon_of(request).validate_credentials(managed)
    except ConnectorError as exc:
        raise GraphError(400, f"credentials are not valid: {exc}", code="CredentialsInvalid") from exc
    return Response(status_code=204)


@router.get("/{job_id}/explain", summary="What a cycle would do with one source object (idsync's own)")
def explain(
    principal: str,
    job_id: str,
    request: Request,
    object_id: Annotated[str, Query(alias="objectId", min_length=1)],
    object_type: Annotated[str | None, Query(alias="objectTypeName")] = None,
) -> Any:
    """Not a Graph call: provision on demand's steps for one source object, including its attributes as
    imported, without writing anything (``idsync explain``). The console's expression tester loads a real
    source object through it."""
    managed = job_of(request, principal, job_id)
    with engine_errors():
        return to_json(daemon_of(request).explain(managed, object_id, object_type))


@router.post("/{job_id}/provisionOnDemand", summary="Provision one object now")
def provision_on_demand(
    principal: str, job_id: str, body: ProvisionOnDemandRequest, request: Request
) -> dict[str, Any]:
    managed = job_of(request, principal, job_id)
    subject = body.parameters[0].subjects[0]
    if len(body.parameters) > 1 or len(body.parameters[0].subjects) > 1:
        raise GraphError(
            400,
            "provisionOnDemand takes one subject per call (as in Entra)",
            target="body.parameters[0].subjects",
        )
    with engine_errors():
        record = daemon_of(request).provision_on_demand(managed, subject.object_id, subject.object_type_name)
    return on_demand_response(record)


def on_demand_response(record: Any) -> dict[str, Any]:
    data = record if isinstance(record, dict) else {}
    info = data.get("provisioningStatusInfo") or {}
    result = {"success": "Success", "failure": "Failure", "skipped": "Skipped"}.get(
        str(info.get("status", "")).lower(), "Success"
    )
    details = (
        {"errorCode": (info.get("errorInformation") or {}).get("errorCode")} if result == "Failure" else {}
    )
    return {
        "@odata.type": "#microsoft.graph.stringKeyStringValuePair",
        "key": json.dumps({"result": result, "details": details}),
        "value": json.dumps(data, default=str),
    }
