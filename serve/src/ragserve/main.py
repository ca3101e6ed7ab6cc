"""The ``ragserve`` ASGI app: ``uvicorn ragserve.main:create_app --factory``."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool

from ragplatform import __version__
from ragplatform.factory import Platform, apply_offline_env, build_platform
from ragplatform.settings import Settings
from ragserve import errors
from ragserve.routes import health, rag

log = logging.getLogger(__name__)


def warm_up(platform: Platform) -> None:
    """Loads the models and resolves the index before the first request, not during it."""
    platform.serving.refresh()
    platform.embedder.embed_query("warm up")
    warm = getattr(platform.answers.generator, "warm_up", None)
    if callable(warm):
        warm()


def create_app(settings: Settings | None = None, platform: Platform | None = None) -> FastAPI:
    """``platform`` may be passed in (tests, embedding the API); otherwise it is built from settings
    in the lifespan and closed on shutdown."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        apply_offline_env()
        owned = platform is None
        p: Platform = (
            platform
            if platform is not None
            else await run_in_threadpool(build_platform, settings or Settings())
        )
        app.state.platform = p
        await run_in_threadpool(warm_up, p)
        p.serving.watch(p.settings.serve.watch_interval_s)
        log.info("ragserve ready; serving index version %s", p.serving.version)
        try:
            yield
        finally:
            p.serving.stop()
            if owned:
                p.close()

    app = FastAPI(
        title="ragplatform API",
        version=__version__,
        description="Answers from the promoted retrieval index: REST, SSE, WebSockets and Socket.IO.",
        lifespan=lifespan,
    )
    errors.install(app)
    app.include_router(health.router)
    app.include_router(rag.router)
    return app
