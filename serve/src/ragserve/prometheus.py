"""Prometheus metrics of one app, in a registry of its own (several apps may share a process).

HTTP requests are labelled by route template (``/api/v1/chat/{chat_id}``), never by raw
path, so ids do not explode the label space; answers are observed through the
AnswerService's ``on_answered`` hook.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ragplatform.answering.service import Answer

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
UNMATCHED = "unmatched"


class PlatformMetrics:
    def __init__(self, open_websockets: Callable[[], float], open_socketio: Callable[[], float]) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.requests = Counter(
            "http_requests",
            "HTTP requests by route template, method and status",
            ["method", "route", "status"],
            registry=r,
        )
        self.latency = Histogram(
            "http_request_duration_seconds",
            "HTTP request latency by route template, method and status",
            ["method", "route", "status"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.retrieval = Histogram(
            "rag_retrieval_duration_seconds",
            "Retrieval latency per answer",
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.generation = Histogram(
            "rag_generation_duration_seconds",
            "Generation latency per answer",
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.answer_latency = Histogram(
            "rag_answer_duration_seconds", "Whole answer latency", buckets=LATENCY_BUCKETS, registry=r
        )
        self.answers = Counter(
            "rag_answers",
            "Answers by source (faq, rag, no_context, llm) and whether unanswered",
            ["source", "unanswered"],
            registry=r,
        )
        self.tokens = Counter("rag_tokens", "LLM tokens by kind (prompt, completion)", ["kind"], registry=r)
        Gauge("websocket_connections_open", "Open notification WebSockets", registry=r).set_function(
            open_websockets
        )
        Gauge("socketio_connections_open", "Open Socket.IO connections", registry=r).set_function(
            open_socketio
        )

    def observe_answer(self, question: str, answer: Answer, user_id: str) -> None:
        """An ``AnswerService.on_answered`` hook."""
        t = answer.timings
        if "retrieval_ms" in t:
            self.retrieval.observe(t["retrieval_ms"] / 1000)
        if "generation_ms" in t:
            self.generation.observe(t["generation_ms"] / 1000)
        if "total_ms" in t:
            self.answer_latency.observe(t["total_ms"] / 1000)
        self.answers.labels(source=answer.source, unanswered=str(answer.unanswered).lower()).inc()
        for kind in ("prompt", "completion"):
            count = answer.tokens.get(kind, 0)
            if count:
                self.tokens.labels(kind=kind).inc(count)


def route_template(scope: Scope) -> str:
    route: Any = scope.get("route")
    path = getattr(route, "path", None) or getattr(route, "path_format", None)
    return str(path) if path else UNMATCHED


class PrometheusMiddleware:
    """Pure ASGI (streaming responses such as SSE pass through untouched); HTTP only."""

    def __init__(self, app: ASGIApp, metrics: PlatformMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            labels = {
                "method": scope.get("method", ""),
                "route": route_template(scope),
                "status": str(status),
            }
            self.metrics.requests.labels(**labels).inc()
            self.metrics.latency.labels(**labels).observe(time.perf_counter() - started)
