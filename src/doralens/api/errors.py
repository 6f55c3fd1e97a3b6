"""The one place where errors become HTTP answers, in Datadog's JSON shapes."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from doralens.errors import (
    FieldProblem,
    Forbidden,
    NotFound,
    PayloadTooLarge,
    StoreError,
    Unauthorized,
    UnsupportedMediaType,
    ValidationFailed,
)

JSON_API = "application/vnd.api+json"
log = logging.getLogger("doralens.api")


def api_json(content: Any, status_code: int = 200, headers: Mapping[str, str] | None = None) -> JSONResponse:
    """A JSON answer with Datadog's media type."""
    return JSONResponse(content, status_code=status_code, media_type=JSON_API, headers=dict(headers or {}))


def bad_request(error: ValidationFailed) -> JSONResponse:
    """400 with one JSON:API error object per problem, each naming its field."""
    return api_json(
        {
            "errors": [
                {
                    "status": "400",
                    "title": "Bad Request",
                    "detail": p.detail,
                    "source": {"pointer": p.pointer},
                }
                for p in error.problems
            ]
        },
        status_code=400,
    )


def _simple(status: int, message: str) -> JSONResponse:
    return api_json({"errors": [message]}, status_code=status)


_HTTP_MESSAGES = {
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    413: "Request entity too large",
    415: "Unsupported media type",
}


def install(app: FastAPI) -> None:
    """Register the exception handlers on the app."""

    @app.exception_handler(ValidationFailed)
    async def on_validation(_: Request, exc: ValidationFailed) -> JSONResponse:
        return bad_request(exc)

    @app.exception_handler(RequestValidationError)
    async def on_request_validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        problems = [
            FieldProblem("/" + "/".join(str(p) for p in item.get("loc", ())), str(item.get("msg", "is invalid")))
            for item in exc.errors()
        ]
        return bad_request(ValidationFailed(problems))

    @app.exception_handler(Forbidden)
    async def on_forbidden(_: Request, __: Forbidden) -> JSONResponse:
        return _simple(403, "Forbidden")

    @app.exception_handler(Unauthorized)
    async def on_unauthorized(_: Request, exc: Unauthorized) -> JSONResponse:
        # The reason (which header is missing, that a signature does not match) helps whoever sets up the
        # webhook and tells an attacker nothing they did not send.
        headers = {"WWW-Authenticate": exc.challenge} if exc.challenge else None
        return api_json({"errors": [f"Unauthorized: {exc}"]}, status_code=401, headers=headers)

    @app.exception_handler(NotFound)
    async def on_not_found(_: Request, __: NotFound) -> JSONResponse:
        return _simple(404, "Not found")

    @app.exception_handler(PayloadTooLarge)
    async def on_too_large(_: Request, exc: PayloadTooLarge) -> JSONResponse:
        return _simple(413, f"Request entity too large: {exc}")

    @app.exception_handler(UnsupportedMediaType)
    async def on_media_type(_: Request, exc: UnsupportedMediaType) -> JSONResponse:
        return _simple(415, f"Unsupported media type: {exc}")

    @app.exception_handler(StoreError)
    async def on_store(_: Request, exc: StoreError) -> JSONResponse:
        log.error("store error: %s", exc)
        return _simple(503, "Service unavailable: the database is not ready")

    @app.exception_handler(StarletteHTTPException)
    async def on_http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        message = _HTTP_MESSAGES.get(exc.status_code, str(exc.detail))
        return api_json({"errors": [message]}, status_code=exc.status_code, headers=exc.headers)

    @app.exception_handler(Exception)
    async def on_unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error", exc_info=exc)
        return _simple(500, "Internal server error")
