"""``POST /servicePrincipals/{id}/synchronization/jobs/{job}/bulkUpload``: API-driven inbound provisioning.

As Entra documents it: ``Content-Type: application/scim+json``, a SCIM ``BulkRequest``
(``schemas: [urn:ietf:params:scim:api:messages:2.0:BulkRequest]``, ``Operations[]`` of ``{method: POST,
bulkId, path: /Users, data: <SCIM user with externalId>}``, at most 50, ``failOnErrors``), answered
**202 Accepted** at once with no body. The records are stored in the job's inbox (``connectors.api``) in one
fsynced transaction *before* the 202, so a daemon killed right after it still has them; the job's next cycle
reads them through its ``connector: api`` source, and its provisioning log shows each record's ``bulkId``
(``sourceIdentity.details``).

Refusals, in Graph's error shape: **400** for a body that is not a BulkRequest (wrong Content-Type: Entra's
"Invalid data format"), naming the operation's index (``Operations[3].data.externalId``); **413** over 50
operations or ``MAX_BYTES``; **429** with ``Retry-After`` above the job's ``maxRequestsPerSecond`` (the
``api`` directory's setting, 40 by default as Entra's limit); **400** for a job whose source is not
``connector: api``. A request is stored whole or not at all (``failOnErrors`` has nothing to stop: records
are validated before anything is kept).
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from connectors import ConnectorError
from connectors.api import InboundRecord, Inbox, inbox_path, rate_limit
from engine.daemon import ManagedJob
from engine.job import resolve_secrets

from ._deps import job_of
from ._errors import GraphError, error_body

__all__ = ["MAX_BYTES", "MAX_OPERATIONS", "router"]

router = APIRouter(prefix="/servicePrincipals/{principal}/synchronization/jobs", tags=["bulkUpload"])

MAX_OPERATIONS = 50
MAX_BYTES = 4 * 1024 * 1024
BULK_REQUEST = "urn:ietf:params:scim:api:messages:2.0:BulkRequest"
_buckets: dict[str, tuple[float, float]] = {}
_lock = threading.Lock()


def _admit(key: str, rate: float) -> float:
    """A token bucket per job (``rate`` requests a second, bursts of one second's worth): 0 when admitted,
    else the seconds until a request would be."""
    now = time.monotonic()
    with _lock:
        tokens, then = _buckets.get(key, (rate, now))
        tokens = min(rate, tokens + (now - then) * rate)
        if tokens >= 1:
            _buckets[key] = (tokens - 1, now)
            return 0.0
        _buckets[key] = (tokens, now)
        return (1 - tokens) / rate


def _api_directory(managed: ManagedJob) -> tuple[str, Mapping[str, Any]]:
    job: Any = managed.job
    for name, settings in (getattr(job, "directories", None) or {}).items():
        if settings.get("connector") == "api":
            resolved = resolve_secrets(
                {k: v for k, v in settings.items() if k != "connector"},
                job=job,
                key=f"directories.{name}",
                loc=("directories", name),
            )
            return name, resolved
    raise GraphError(
        400,
        f"job {managed.id!r} has no 'connector: api' source: bulkUpload feeds API-driven "
        "inbound provisioning jobs (see the api-inbound template)",
        code="InvalidJobSource",
    )


def _bad(index: int | None, field: str, message: str) -> GraphError:
    target = f"Operations[{index}].{field}" if index is not None else field
    return GraphError(400, f"{target}: {message}", code="InvalidBulkRequest", target=target)


def _records(body: Any) -> list[InboundRecord]:
    if not isinstance(body, dict):
        raise _bad(None, "body", "a SCIM BulkRequest object is expected")
    if BULK_REQUEST not in (body.get("schemas") or []):
        raise _bad(None, "schemas", f"must list {BULK_REQUEST}")
    operations = body.get("Operations")
    if not isinstance(operations, list) or not operations:
        raise _bad(None, "Operations", "a non-empty list of operations is expected")
    if len(operations) > MAX_OPERATIONS:
        raise GraphError(
            413,
            f"Operations: a bulk request holds at most {MAX_OPERATIONS} operations; this one has "
            f"{len(operations)}: split it",
            code="RequestEntityTooLarge",
            target="Operations",
        )
    fail_on_errors = body.get("failOnErrors")
    if fail_on_errors is not None and (
        isinstance(fail_on_errors, bool) or not isinstance(fail_on_errors, int)
    ):
        raise _bad(None, "failOnErrors", "an integer or null")
    records = []
    for index, op in enumerate(operations):
        if not isinstance(op, dict):
            raise _bad(index, "", "an operation object is expected")
        if str(op.get("method", "")).upper() != "POST":
            raise _bad(index, "method", f"only POST is supported, got {op.get('method')!r}")
        if op.get("path") != "/Users":
            raise _bad(index, "path", f"must be /Users, got {op.get('path')!r}")
        bulk_id = op.get("bulkId")
        if bulk_id is not None and not isinstance(bulk_id, str | int):
            raise _bad(index, "bulkId", "a string")
        data = op.get("data")
        if not isinstance(data, dict):
            raise _bad(index, "data", "a SCIM user object is expected")
        external = data.get("externalId")
        if not isinstance(external, str | int) or isinstance(external, bool) or not str(external).strip():
            raise _bad(index, "data.externalId", "every record needs its externalId (the person's key)")
        if "active" in data and not isinstance(data["active"], bool):
            raise _bad(index, "data.active", f"true or false, got {data['active']!r}")
        records.append(InboundRecord(str(external).strip(), None if bulk_id is None else str(bulk_id), data))
    return records


@router.post(
    "/{job_id}/bulkUpload", status_code=202, summary="API-driven inbound provisioning: upload records"
)
async def bulk_upload(principal: str, job_id: str, request: Request) -> Response:
    managed = job_of(request, principal, job_id)
    name, settings = _api_directory(managed)
    try:
        path = inbox_path(settings, managed.job.path.parent)
        rate = rate_limit(settings)
    except ConnectorError as exc:
        raise GraphError(
            400, f"directory {name!r} of job {managed.id!r}: {exc}", code="InvalidJobSource"
        ) from None
    wait = _admit(f"{id(request.app)}/{principal}/{job_id}", rate)
    if wait > 0:
        message = (
            f"more than {rate:g} bulkUpload requests a second for this job; retry after the "
            "Retry-After header's seconds"
        )
        return JSONResponse(
            error_body("TooManyRequests", message),
            status_code=429,
            headers={"Retry-After": str(max(1, round(wait + 0.5)))},
        )
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind != "application/scim+json":
        raise GraphError(
            400,
            f"Invalid data format: Content-Type must be application/scim+json, got {kind or 'none'!r}",
            code="InvalidDataFormat",
            target="Content-Type",
        )
    raw = await request.body()
    if len(raw) > MAX_BYTES:
        raise GraphError(
            413,
            f"a bulk request is at most {MAX_BYTES} bytes; this one has {len(raw)}",
            code="RequestEntityTooLarge",
        )
    try:
        body = json.loads(raw)
    except ValueError as exc:
        raise GraphError(
            400, f"Invalid data format: the body is not JSON ({exc})", code="InvalidDataFormat"
        ) from None
    records = _records(body)
    request_id = str(uuid.uuid4())
    try:
        Inbox(path).append(request_id, records)  # durable before the 202
    except ConnectorError as exc:
        raise GraphError(503, f"the records could not be stored: {exc}", code="ServiceUnavailable") from None
    return Response(status_code=202, headers={"request-id": request_id, "client-request-id": request_id})
