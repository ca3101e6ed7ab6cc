"""The ``ragserve`` ASGI app: ``uvicorn ragserve.main:create_app --factory``.

One FastAPI app serves the five API documents (each router is thin and calls
the same platform services), plus Socket.IO on ``/socket.io``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from anyio import to_thread
from fastapi import Depends, FastAPI
from fastapi.middleware.cors import CORSMiddleware
from starlette.concurrency import run_in_threadpool

from ragplatform import __version__
from ragplatform.accounts import oidc
from ragplatform.factory import Platform, apply_offline_env, build_platform
from ragplatform.settings import Settings
from ragplatform.workflows.queue import run_worker
from ragserve import errors
from ragserve.accounts_documents import accounts, chat, documents, metrics
from ragserve.admin import documents as admin_documents
from ragserve.admin import indexes as admin_indexes
from ragserve.admin import metrics as admin_metrics
from ragserve.admin import playground as admin_playground
from ragserve.admin import sessions as admin_sessions
from ragserve.agents import analytics as agents_analytics
from ragserve.agents import channels as agents_channels
from ragserve.agents import invoke as agents_invoke
from ragserve.agents import leads as agents_leads
from ragserve.agents import notifications as agents_notifications
from ragserve.agents import payments as agents_payments
from ragserve.agents import workflows as agents_workflows
from ragserve.auth import ensure_admin
from ragserve.body_guard import BodyGuard
from ragserve.cors import cors_origins
from ragserve.knowledge_assistant import health, mongodb, notify, postgres, rag
from ragserve.notify import NotificationHub, TopicHub, new_session_notification
from ragserve.params import QUESTION_LIMIT, apply_limits, check_parameters
from ragserve.realtime import server as realtime
from ragserve.sessions_sse import sessions
from ragserve.v1 import aisuite as v1_aisuite
from ragserve.v1 import auth as v1_auth
from ragserve.v1 import chat as v1_chat
from ragserve.v1 import internal
from ragserve.v1 import model as v1_model
from ragserve.v1 import prompt_compiler as v1_prompt_compiler

log = logging.getLogger(__name__)

EVENTS_READY_S = 15.0  # how long startup waits for the event bus's subscription

ROUTERS = (
    health.router,
    mongodb.router,
    postgres.router,
    rag.router,
    notify.router,  # API 01
    sessions.router,  # API 03
    accounts.router,
    chat.router,
    documents.router,
    metrics.router,  # API 04
    v1_auth.router,
    v1_chat.router,
    v1_model.router,
    v1_aisuite.router,
    v1_prompt_compiler.router,
    internal.router,  # API 05
    agents_notifications.router,
    agents_payments.router,
    agents_workflows.router,
    agents_workflows.socket_router,
    agents_channels.router,
    agents_analytics.router,
    agents_leads.router,
    agents_invoke.router,  # API 02
    admin_indexes.router,  # index lifecycle for admins (console)
    admin_metrics.router,
    admin_sessions.router,
    admin_documents.router,
    admin_playground.router,  # the rest of what the admin console needs
)


def warm_up(platform: Platform) -> None:
    """Loads the models and resolves the index before the first request, not during it."""
    platform.serving.refresh()
    platform.embedder.embed_query("warm up")
    warm = getattr(platform.answers.generator, "warm_up", None) or getattr(
        platform.answers.generator, "load", None
    )
    if callable(warm):
        warm()


def create_app(settings: Settings | None = None, platform: Platform | None = None) -> FastAPI:
    """``platform`` may be passed in (tests, embedding the API); otherwise it is built from settings
    in the lifespan and closed on shutdown."""
    settings = platform.settings if platform is not None else (settings or Settings())
    hub = NotificationHub(settings.redis_url)
    topics = TopicHub()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        apply_offline_env()
        owned = platform is None
        p: Platform = platform if platform is not None else await run_in_threadpool(build_platform, settings)
        app.state.platform = p
        await hub.start()
        events_ready = asyncio.Event()
        events_listener = asyncio.create_task(p.events.listen(topics.deliver, events_ready), name="events")
        await asyncio.wait_for(events_ready.wait(), timeout=EVENTS_READY_S)
        worker = None
        if p.settings.workflows.worker == "inprocess":
            worker = asyncio.create_task(
                run_worker(p, name=f"ragserve-{os.getpid()}"), name="workflow-worker"
            )
        to_thread.current_default_thread_limiter().total_tokens = p.settings.serve.threads
        await run_in_threadpool(ensure_admin, p)
        await run_in_threadpool(warm_up, p)
        hook = lambda q, a, u: hub.publish_threadsafe(new_session_notification(p, q, a, u))  # noqa: E731
        p.answers.on_unanswered.append(hook)
        realtime.on_startup(p)
        p.serving.watch(p.settings.serve.watch_interval_s)
        log.info("ragserve ready; serving index version %s", p.serving.version)
        try:
            yield
        finally:
            p.answers.on_unanswered.remove(hook)
            for task in (worker, events_listener):
                if task is not None:
                    task.cancel()
                    with contextlib.suppress(asyncio.CancelledError, Exception):
                        await task
            await hub.stop()
            p.serving.stop()
            if owned:
                p.close()

    app = FastAPI(
        title="ragplatform API",
        version=__version__,
        description=(
            "Answers from the promoted retrieval index over REST, SSE, WebSockets and Socket.IO. "
            "Serves API documents 01 (knowledge assistant), 03 (sessions + SSE), 04 (auth, documents, "
            "metrics) and 05 (v1 chat, files, Socket.IO) at once, over one core."
        ),
        lifespan=lifespan,
        dependencies=[Depends(check_parameters)],
    )
    app.state.hub = hub
    app.state.topics = topics
    app.state.oidc_cache = oidc.MetadataCache()
    app.state.settings = settings
    errors.install(app)
    app.add_middleware(
        BodyGuard,
        max_bytes=settings.serve.max_request_bytes,
        max_upload_bytes=settings.serve.max_upload_bytes,
    )
    app.add_middleware(
        CORSMiddleware,
        allow_origins=cors_origins(settings),
        allow_credentials="*" not in cors_origins(settings),
        allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
        allow_headers=["*"],
    )

    for router in ROUTERS:
        app.include_router(router)
    realtime.install(app, lambda: app.state.platform)
    internal.install(app, lambda: realtime.connection_count(app.state.sio))
    limits = {QUESTION_LIMIT: settings.answer.max_question_chars}

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = apply_limits(FastAPI.openapi(app), limits)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app
