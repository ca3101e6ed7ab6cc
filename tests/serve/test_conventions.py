"""Conventions every client expects: CORS, request size limits, errors as {"detail": ...}."""

from __future__ import annotations

import dataclasses
import socket
from collections.abc import Iterator
from typing import TYPE_CHECKING

import httpx
import pytest
from serve_support import LiveServer

if TYPE_CHECKING:
    from ragplatform.factory import Platform


def test_cors_is_closed_by_default_outside_development(client: httpx.Client) -> None:
    r = client.options(
        "/health", headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "GET"}
    )
    assert "access-control-allow-origin" not in r.headers


@pytest.fixture(scope="module")
def cors_server(platform: Platform) -> Iterator[LiveServer]:
    from ragserve.main import create_app

    serve = platform.settings.serve.model_copy(update={"cors_origins": ["https://app.example"]})
    configured = dataclasses.replace(platform, settings=platform.settings.model_copy(update={"serve": serve}))
    with LiveServer(create_app(platform=configured)) as server:
        yield server


def test_cors_allows_configured_origins(cors_server: LiveServer) -> None:
    with httpx.Client(base_url=cors_server.url) as c:
        ok = c.options(
            "/health", headers={"Origin": "https://app.example", "Access-Control-Request-Method": "GET"}
        )
        assert ok.headers["access-control-allow-origin"] == "https://app.example"
        other = c.options(
            "/health", headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "GET"}
        )
        assert "access-control-allow-origin" not in other.headers


def test_an_oversized_request_is_refused_before_it_is_read(
    live_server: LiveServer, platform: Platform
) -> None:
    limit = platform.settings.serve.max_request_bytes
    with socket.create_connection(("127.0.0.1", live_server.port), timeout=10) as s:
        s.sendall(
            b"POST /rag/chat HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            + f"Content-Length: {limit + 1}\r\nConnection: close\r\n\r\n".encode()
        )
        reply = b""
        while chunk := s.recv(65536):
            reply += chunk
    head, _, body = reply.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 413")
    assert b'"detail"' in body and str(limit).encode() in body


def test_unknown_routes_and_methods_answer_with_detail(client: httpx.Client) -> None:
    r = client.get("/no/such/route")
    assert r.status_code == 404 and r.json() == {"detail": "Not Found"}
    r = client.delete("/health")
    assert r.status_code == 405 and "detail" in r.json()


def test_timestamps_carry_a_timezone(client: httpx.Client) -> None:
    body = client.get("/health").json()
    assert body["timestamp"].endswith(("Z", "+00:00"))


def test_docs_and_redoc_serve_the_schema(client: httpx.Client) -> None:
    for path in ("/docs", "/redoc"):
        r = client.get(path)
        assert r.status_code == 200 and "text/html" in r.headers["content-type"]
        assert "/openapi.json" in r.text
    schema = client.get("/openapi.json").json()
    for documented in ("/health", "/rag/chat", "/sessions/{session_id}/ask", "/api/login", "/api/v1/chat"):
        assert documented in schema["paths"], documented


def test_openapi_schema_names_are_unique_and_plain(client: httpx.Client) -> None:
    """Two models of one name make FastAPI fall back to module-qualified names
    (``ragserve__sessions_sse__schemas__SessionCreate``) that leak the layout into every generated
    client; each schema must have its own plain name (``XCreate``, ``XPublic``, ``XsPublic``)."""
    schemas: dict[str, dict[str, object]] = client.get("/openapi.json").json()["components"]["schemas"]
    qualified = [n for n in schemas if "__" in n or "." in n or n.startswith(("ragserve", "ragplatform"))]
    assert not qualified, f"give these models their own class names: {qualified}"
    by_title: dict[str, list[str]] = {}
    for name, schema in schemas.items():
        by_title.setdefault(str(schema.get("title", name)), []).append(name)
    # pydantic's -Input/-Output pair of one model is one schema seen from two sides
    shared = {
        title: names
        for title, names in by_title.items()
        if len(names) > 1 and sorted(names) != [f"{title}-Input", f"{title}-Output"]
    }
    assert not shared, f"schemas sharing a title: {shared}"
