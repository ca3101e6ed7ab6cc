"""``/internal/health`` and ``/internal/metrics`` (API 05), open like any monitoring endpoint.

``install(app)`` gives the app its own Prometheus registry, the request middleware,
and (in the lifespan, once the platform exists) the answer hook that feeds the
retrieval/generation histograms and token counters.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from ragplatform import __version__
from ragplatform import health as engine_health
from ragplatform.factory import Platform
from ragserve.deps import PlatformDep
from ragserve.prometheus import PlatformMetrics, PrometheusMiddleware
from ragserve.v1.schemas import InternalHealthPublic

router = APIRouter(prefix="/internal", tags=["internal"])


def _health(platform: Platform) -> InternalHealthPublic:
    report = engine_health.report(platform, with_generator=False, with_registry=False)
    engines = {
        name: "ok" if check.ok else f"unavailable: {check.detail}" for name, check in report.engines.items()
    }
    return InternalHealthPublic(
        status="ok" if all(c.ok for c in report.engines.values()) else "degraded",
        version=__version__,
        timestamp=datetime.now(UTC),
        engines=engines,
        index_version=report.index.version,
    )


@router.get(
    "/health",
    response_model=InternalHealthPublic,
    summary="Liveness and each engine, for monitoring",
    description=(
        "200 with `status: ok` when every engine answers; 503 with the same body (`status: degraded`) "
        "when one does not, so a load balancer or a probe that reads only the status code takes the "
        "replica out. API document 05's status list is generic and names no 503; a monitoring "
        "endpoint that always answered 200 could not say the replica is unhealthy."
    ),
    responses={503: {"model": InternalHealthPublic, "description": "an engine is unavailable"}},
)
async def health(platform: PlatformDep) -> JSONResponse:
    report = await run_in_threadpool(_health, platform)
    return JSONResponse(report.model_dump(mode="json"), status_code=200 if report.status == "ok" else 503)


@router.get(
    "/metrics",
    response_class=Response,
    summary="Prometheus metrics (text exposition format)",
    responses={200: {"content": {CONTENT_TYPE_LATEST: {}}, "description": "Prometheus text format"}},
)
def metrics(request: Request) -> Response:
    registry = request.app.state.metrics.registry
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)


def install(app: FastAPI, socketio_connections: Callable[[], int]) -> None:
    """Per-app metrics registry, the request middleware, and the answer hook (registered in the lifespan).
    ``socketio_connections`` counts the app's open Socket.IO connections (a gauge)."""
    prom = PlatformMetrics(
        open_websockets=lambda: float(app.state.hub.connections),
        open_socketio=lambda: float(socketio_connections()),
    )
    app.state.metrics = prom
    app.add_middleware(PrometheusMiddleware, metrics=prom)
    inner = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(a: Any) -> AsyncIterator[Any]:
        async with inner(a) as state:
            answers = a.state.platform.answers
            answers.on_answered.append(prom.observe_answer)
            try:
                yield state
            finally:
                if prom.observe_answer in answers.on_answered:
                    answers.on_answered.remove(prom.observe_answer)

    app.router.lifespan_context = lifespan
