"""Accounts and WebSocket helpers shared by the API 04 tests."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import httpx
from websockets.sync.client import connect

if TYPE_CHECKING:
    from serve_support import LiveServer


@dataclass
class Account:
    email: str
    password: str
    id: str
    token: str
    headers: dict[str, str] = field(default_factory=dict)


def sign_up(base_url: str, name: str = "Tester") -> Account:
    email = f"{name.lower()}-{uuid.uuid4().hex[:8]}@example.org"
    password = "correct horse battery"
    with httpx.Client(base_url=base_url, timeout=60) as c:
        r = c.post("/api/signup", json={"email": email, "password": password, "name": name})
        assert r.status_code == 201, r.text
        r = c.post("/api/login", json={"email": email, "password": password})
        assert r.status_code == 200, r.text
        body = r.json()
    token = body["access_token"]
    return Account(email, password, body["user"]["id"], token, {"Authorization": f"Bearer {token}"})


def ws_url(live_server: LiveServer, **params: str) -> str:
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return live_server.url.replace("http://", "ws://") + "/api/chat" + (f"?{query}" if query else "")


Ask = Callable[..., list[dict[str, Any]]]


def ask_over_ws(
    live_server: LiveServer, token: str, question: str, session_id: str | None = None
) -> list[dict[str, Any]]:
    """Sends one question on WS /api/chat and returns every server message up to ``done`` (or ``error``)."""
    params = {"token": token, **({"session_id": session_id} if session_id else {})}
    with connect(ws_url(live_server, **params), open_timeout=30) as ws:
        ws.send(question)
        events: list[dict[str, Any]] = []
        while not events or events[-1]["type"] not in ("done", "error"):
            events.append(json.loads(ws.recv(timeout=120)))
        return events
