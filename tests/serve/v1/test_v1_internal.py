"""/internal/health and /internal/metrics (API 05): open monitoring endpoints."""

from __future__ import annotations

from typing import TYPE_CHECKING

import httpx
from prometheus_client.parser import text_string_to_metric_families

if TYPE_CHECKING:
    from conftest import SignedIn
    from ragplatform.factory import Platform


def samples(client: httpx.Client) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    r = client.get("/internal/metrics")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(r.text)
        for s in family.samples
    }


def test_health_reports_each_engine(client: httpx.Client, platform: Platform) -> None:
    r = client.get("/internal/health")
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "ok"
    assert body["engines"] == {"postgresql": "ok", "sessions": "ok", "vector_index": "ok"}
    assert body["index_version"] == platform.serving.version


def test_metrics_count_requests_by_route_template(client: httpx.Client, alice: SignedIn) -> None:
    chat_id = client.post("/api/v1/chat", json={}, headers=alice.headers).json()["chat_id"]
    for _ in range(2):
        assert client.get(f"/api/v1/chat/{chat_id}", headers=alice.headers).status_code == 200
    client.get("/api/v1/chat/no-such-chat", headers=alice.headers)
    found = samples(client)
    route = "/api/v1/chat/{chat_id}"
    ok = found[("http_requests_total", frozenset({("method", "GET"), ("route", route), ("status", "200")}))]
    assert ok >= 2
    assert (
        found[("http_requests_total", frozenset({("method", "GET"), ("route", route), ("status", "404")}))]
        >= 1
    )
    assert (
        found[
            (
                "http_request_duration_seconds_count",
                frozenset({("method", "GET"), ("route", route), ("status", "200")}),
            )
        ]
        >= 2
    )
    assert not any(chat_id in str(labels) for _, labels in found)  # never a raw path
    assert ("websocket_connections_open", frozenset()) in found
    assert ("socketio_connections_open", frozenset()) in found


def test_metrics_observe_answers(client: httpx.Client) -> None:
    before = samples(client).get(("rag_retrieval_duration_seconds_count", frozenset()), 0.0)
    r = client.post("/rag/chat", json={"question": "Who was the inventor of the atmospheric engine?"})
    assert r.status_code == 200, r.text
    after = samples(client)
    assert after[("rag_retrieval_duration_seconds_count", frozenset())] == before + 1
    assert after[("rag_generation_duration_seconds_count", frozenset())] >= 1
    assert after[("rag_answers_total", frozenset({("source", "rag"), ("unanswered", "false")}))] >= 1


def test_each_app_has_its_own_registry(platform: Platform) -> None:
    from ragserve.main import create_app

    one, two = create_app(platform=platform), create_app(platform=platform)
    assert one.state.metrics.registry is not two.state.metrics.registry
