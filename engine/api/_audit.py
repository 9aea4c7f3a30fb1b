"""``GET /auditLogs/provisioning``: the provisioning log of every served job, newest first (spec §D.9).

``$filter`` (see ``_odata``), ``$top`` (1..1000, default 100) and paging through ``@odata.nextLink`` with a
``$skiptoken``, as Graph does. Records of all jobs are merged by ``activityDateTime``; each job's log is read
page by page from its state, so a query never loads a whole log into memory beyond ``skip + top`` matches.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import PlainTextResponse

from engine.daemon import ManagedJob, log_pages

from ._collections import count_response
from ._deps import daemon_of
from ._errors import GraphError
from ._odata import FilterError, matches, parse_filter, parse_time

__all__ = ["router"]

router = APIRouter(tags=["auditLogs"])

_PAGE = 500
_EPOCH = datetime(1, 1, 1, tzinfo=UTC)


def _job_records(managed: ManagedJob, cycle_id: str | None) -> Iterator[dict[str, Any]]:
    # No job lock: reading the log does not block a running cycle (the engine's state allows readers).
    for page in log_pages(managed.engine, cycle_id=cycle_id, page=_PAGE):
        yield from page


def _when(record: dict[str, Any]) -> datetime:
    try:
        return parse_time(str(record.get("activityDateTime")))
    except ValueError:
        return _EPOCH


def _eq_value(clauses: list[Any], field: str) -> str | None:
    return next((c.value for c in clauses if c.field == field and c.op == "eq"), None)


def _matching(request: Request, filter_: str | None) -> Iterator[dict[str, Any]]:
    try:
        clauses = parse_filter(filter_)
    except FilterError as exc:
        raise GraphError(400, str(exc), target="$filter") from exc
    job_id, cycle_id = _eq_value(clauses, "jobId"), _eq_value(clauses, "cycleId")
    jobs = [m for m in daemon_of(request).jobs() if job_id in (None, m.id)]
    merged = heapq.merge(*(_job_records(m, cycle_id) for m in jobs), key=_when, reverse=True)
    return (r for r in merged if matches(r, clauses))


@router.get(
    "/auditLogs/provisioning/$count", summary="The number of records", response_class=PlainTextResponse
)
def count_provisioning_logs(
    request: Request, filter_: Annotated[str | None, Query(alias="$filter")] = None
) -> PlainTextResponse:
    """Reads every matching record (page by page): the answer costs what the log holds."""
    return count_response(sum(1 for _ in _matching(request, filter_)))


@router.get("/auditLogs/provisioning", summary="Provisioning logs (provisioningObjectSummary)")
def provisioning_logs(
    request: Request,
    filter_: Annotated[str | None, Query(alias="$filter")] = None,
    top: Annotated[int, Query(alias="$top", ge=1, le=1000)] = 100,
    skiptoken: Annotated[int, Query(alias="$skiptoken", ge=0)] = 0,
) -> dict[str, Any]:
    page = list(itertools.islice(_matching(request, filter_), skiptoken, skiptoken + top + 1))
    body: dict[str, Any] = {"value": page[:top]}
    if len(page) > top:
        query = {k: v for k, v in (("$filter", filter_), ("$top", str(top))) if v}
        query["$skiptoken"] = str(skiptoken + top)
        body["@odata.nextLink"] = (
            f"{request.url.remove_query_params(list(request.query_params))}?{urlencode(query)}"
        )
    return body
