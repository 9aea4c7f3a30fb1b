"""Graph's error shape for every failure the API reports: ``{"error": {"code": ..., "message": ...}}``.

Routers raise ``GraphError`` (or let ``JobNotFound`` / ``FacadeMissing`` through); the handlers installed by
``install_error_handlers`` turn those, FastAPI's request-validation errors (400 naming the field path, e.g.
``body.criteria.resetScope``) and unknown routes (404) into that shape. An unexpected exception is logged
with its traceback and answered with a 500 that names no internals — never a traceback on the wire.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from engine.daemon import FacadeMissing, JobNotFound

__all__ = ["GraphError", "error_body", "field_path", "install_error_handlers"]

log = logging.getLogger("idsync.api")

_CODES = {
    400: "BadRequest",
    401: "InvalidAuthenticationToken",
    403: "Forbidden",
    404: "ResourceNotFound",
    405: "MethodNotAllowed",
    409: "Conflict",
    422: "BadRequest",
    501: "NotImplemented",
}


class GraphError(Exception):
    def __init__(self, status: int, message: str, code: str | None = None, target: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code or _CODES.get(status, "InternalServerError")
        self.message = message
        self.target = target


def error_body(code: str, message: str, details: list[dict[str, str]] | None = None) -> dict[str, Any]:
    error: dict[str, Any] = {"code": code, "message": message}
    if details:
        error["details"] = details
    return {"error": error}


def _respond(
    status: int,
    code: str,
    message: str,
    details: list[dict[str, str]] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    return JSONResponse(error_body(code, message, details), status_code=status, headers=headers)


def field_path(loc: Sequence[str | int]) -> str:
    """``("body", "criteria", "resetScope")`` -> ``body.criteria.resetScope``; indexes as ``[0]``."""
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _validation_details(exc: RequestValidationError) -> list[dict[str, str]]:
    details = []
    for err in exc.errors():
        path = field_path(err.get("loc", ()))
        details.append({"code": "InvalidValue", "target": path, "message": f"{path}: {err.get('msg', '')}"})
    return details


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(GraphError)
    async def _graph(request: Request, exc: GraphError) -> JSONResponse:
        details = [{"code": exc.code, "target": exc.target, "message": exc.message}] if exc.target else None
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
        return _respond(exc.status, exc.code, exc.message, details, headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        details = _validation_details(exc)
        message = "; ".join(d["message"] for d in details) or "the request is not valid"
        return _respond(400, "BadRequest", f"Invalid request: {message}", details)

    @app.exception_handler(JobNotFound)
    async def _missing_job(request: Request, exc: JobNotFound) -> JSONResponse:
        return _respond(404, "ResourceNotFound", str(exc))

    @app.exception_handler(FacadeMissing)
    async def _missing_feature(request: Request, exc: FacadeMissing) -> JSONResponse:
        return _respond(501, "NotImplemented", str(exc))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = _CODES.get(exc.status_code, "InternalServerError")
        message = str(exc.detail) if exc.status_code != 404 else f"no resource at {request.url.path}"
        return _respond(exc.status_code, code, message)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.error("%s %s failed", request.method, request.url.path, exc_info=exc)
        return _respond(500, "InternalServerError", "the daemon failed to handle the request; see its log")
