"""The one place that turns the platform's error tree into HTTP status codes.

An ``InvalidInput`` carries the field and the value it is about: they are sent beside ``detail``
(``{"detail": ..., "field": "body.question", "value": ...}``) so a client need not parse English.
Validation errors keep FastAPI's shape, with echoed values made safe to send. Anything else that
escapes a route is a bug: it is logged with its traceback and answered 500 ``internal error``,
with no text of its own.
"""

from __future__ import annotations

import logging
import math
from datetime import date, datetime, time
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from ragplatform import errors
from ragserve.body_guard import escaped, safe_text

log = logging.getLogger(__name__)

STATUS: list[tuple[type[errors.RagPlatformError], int]] = [
    (errors.UnsupportedMedia, 415),
    (errors.TooLarge, 413),
    (errors.BadRequest, 400),
    (errors.InvalidInput, 422),
    (errors.NotFound, 404),
    (errors.PromotionRefused, 409),
    (errors.Conflict, 409),
    (errors.Unauthorized, 401),
    (errors.PermissionDenied, 403),
    (errors.BackendUnavailable, 503),
]


def status_for(exc: errors.RagPlatformError) -> int:
    for cls, code in STATUS:
        if isinstance(exc, cls):
            return code
    return 500


MAX_ITEMS = 20  # of a list or mapping echoed in an error body


def json_safe(value: Any, depth: int = 0) -> Any:
    """A short echo of a caller's value that JSON can carry: non-finite floats and huge integers
    as text, strings cut and escaped, containers cut to ``MAX_ITEMS`` and three levels."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value if abs(value) < 2**63 else f"an integer of {value.bit_length()} bits"
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, str):
        return safe_text(value)
    if isinstance(value, bytes):
        return safe_text(value[:400].decode("utf-8", "replace"))
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if depth >= 3:
        return "..."
    if isinstance(value, list | tuple):
        return [json_safe(v, depth + 1) for v in value[:MAX_ITEMS]]
    if isinstance(value, dict):
        items = list(value.items())[:MAX_ITEMS]
        return {safe_text(str(k)): json_safe(v, depth + 1) for k, v in items}
    return safe_text(str(value))


def scrubbed(content: Any) -> Any:
    """``content`` (already JSON-compatible) with every string escaped and non-finite floats as text."""
    if isinstance(content, str):
        return escaped(content)
    if isinstance(content, float) and not math.isfinite(content):
        return str(content)
    if isinstance(content, list):
        return [scrubbed(v) for v in content]
    if isinstance(content, dict):
        return {escaped(str(k)): scrubbed(v) for k, v in content.items()}
    return content


def error_body(exc: errors.RagPlatformError) -> dict[str, Any]:
    body: dict[str, Any] = {"detail": escaped(exc.message)}
    if isinstance(exc, errors.InvalidInput) and exc.field is not None:
        body["field"] = escaped(exc.field)
        if exc.value is not None:
            body["value"] = json_safe(exc.value)
    return body


def install(app: FastAPI) -> None:
    @app.exception_handler(errors.RagPlatformError)
    async def _platform_error(request: Request, exc: errors.RagPlatformError) -> JSONResponse:
        code = status_for(exc)
        if code >= 500:
            log.error("%s %s failed: %s", request.method, request.url.path, exc.message)
        headers = {"WWW-Authenticate": "Bearer"} if code == 401 else None
        return JSONResponse(error_body(exc), status_code=code, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        details = [{**e, "input": json_safe(e["input"])} if "input" in e else e for e in exc.errors()]
        return JSONResponse({"detail": scrubbed(jsonable_encoder(details))}, status_code=422)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.error("%s %s raised an unexpected error", request.method, request.url.path, exc_info=exc)
        return JSONResponse({"detail": "internal error"}, status_code=500)
