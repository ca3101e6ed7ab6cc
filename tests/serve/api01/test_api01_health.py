"""API 01 health endpoints and GET /notify against the live server."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import httpx

if TYPE_CHECKING:
    from ragplatform.factory import Platform


def test_health_is_the_superset_of_api01_and_api03(client: httpx.Client, platform: Platform) -> None:
    body = client.get("/health").json()
    # API 01
    assert body["status"] == "healthy"
    assert body["version"] and body["environment"] == "test"
    # the keys the document shows (pinecone: its name for the vector index), beside our own name
    assert body["databases"] == {"postgresql": True, "mongodb": True, "pinecone": True, "vector_index": True}
    # API 03
    assert body["message"]
    assert body["retrieval_status"] == "ok"
    assert body["llm_status"] == "available"
    # what exists beyond both
    assert body["engines"]["generator"]["status"] == "healthy"
    assert body["index"]["version"] == platform.serving.version


def test_mongodb_health_reports_the_session_store(client: httpx.Client) -> None:
    r = client.get("/mongodb/health")
    assert r.status_code == 200
    body = r.json()
    assert set(body) == {"status", "timestamp"}
    assert body["status"] == "healthy"
    assert datetime.fromisoformat(body["timestamp"]).tzinfo is not None


def test_postgres_health_lists_the_content_tables(client: httpx.Client) -> None:
    r = client.get("/postgres/health")
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "healthy"
    assert body["version"].startswith("PostgreSQL ")
    assert {"faq_item", "emergency_contact", "event"} <= set(body["tables"])


def test_rag_health_reports_each_service(client: httpx.Client, platform: Platform) -> None:
    r = client.get("/rag/health")
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "healthy"
    assert body["services"] == {
        "gemini": True,  # API 01's names for the generator and the vector index
        "pinecone": True,
        "embedder": True,
        "generator": True,
        "vector_index": True,
        "serving_index": True,
    }
    assert body["index_version"] == platform.serving.version
    assert body["embedding_model"] == platform.embedder.model_id
    datetime.fromisoformat(body["timestamp"])


def test_notify_info_follows_the_request_host(client: httpx.Client, live_server: object) -> None:
    port = str(client.base_url.port)
    body = client.get("/notify").json()
    assert body["websocket_endpoint"] == "/notify"
    assert body["connection_type"] == "WebSocket"
    assert body["protocol"] == "ws://"
    assert body["server"] == "127.0.0.1"
    assert body["port"] == port
    assert body["full_url"] == f"ws://127.0.0.1:{port}/notify"
    assert body["notification_format"]["type"] == "new_session"
    assert set(body["notification_format"]["data"]) == {
        "session_id", "factor", "action", "message", "response", "user_id",
        "first_name", "last_name", "username", "created_at",
    }  # fmt: skip
    assert body["full_url"] in body["client_example"]
    other = client.get("/notify", headers={"Host": "assistant.example.org"}).json()
    assert other["full_url"] == "ws://assistant.example.org/notify"
    assert other["port"] == "80"
    proxied = client.get("/notify", headers={"Host": "assistant.example.org", "X-Forwarded-Proto": "https"})
    assert (proxied.json()["protocol"], proxied.json()["full_url"]) == (
        "wss://",
        "wss://assistant.example.org/notify",
    )
