"""The one place that turns the platform's error tree into HTTP status codes."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from ragplatform import errors

log = logging.getLogger(__name__)

STATUS: list[tuple[type[errors.RagPlatformError], int]] = [
    (errors.UnsupportedMedia, 415),
    (errors.TooLarge, 413),
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


def install(app: FastAPI) -> None:
    @app.exception_handler(errors.RagPlatformError)
    async def _platform_error(request: Request, exc: errors.RagPlatformError) -> JSONResponse:
        code = status_for(exc)
        if code >= 500:
            log.error("%s %s failed: %s", request.method, request.url.path, exc.message)
        headers = {"WWW-Authenticate": "Bearer"} if code == 401 else None
        return JSONResponse({"detail": exc.message}, status_code=code, headers=headers)
