"""What API 02's tests share: accounts (signed up through the API, or the seeded admin), the
WebSocket URL of a channel, and reading a channel's messages."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import httpx
from websockets.sync.client import ClientConnection

if TYPE_CHECKING:
    from serve_support import LiveServer

    from ragplatform.factory import Platform


@dataclass(frozen=True)
class Account:
    id: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def sign_up(client: httpx.Client, name: str) -> Account:
    email, password = f"{name.lower()}-{uuid.uuid4().hex[:8]}@example.org", "correct horse battery"
    r = client.post("/api/signup", json={"email": email, "password": password, "name": name})
    assert r.status_code == 201, r.text
    r = client.post("/api/login", json={"email": email, "password": password})
    assert r.status_code == 200, r.text
    return Account(r.json()["user"]["id"], r.json()["access_token"])


def admin_account(platform: Platform) -> Account:
    from ragserve.auth import create_token

    user = platform.content.get_user_by_username(platform.settings.admin_username)
    return Account(user.id, create_token(platform, user)[0])


def ws_url(live_server: LiveServer, path: str, token: str | None = None) -> str:
    base = live_server.url.replace("http://", "ws://") + path
    return f"{base}?token={token}" if token is not None else base


def exchange(ws: ClientConnection, message: Any) -> dict[str, Any]:
    """Sends ``message`` (JSON unless a str) and returns the next message."""
    ws.send(message if isinstance(message, str) else json.dumps(message))
    reply: dict[str, Any] = json.loads(ws.recv(timeout=10))
    return reply


def next_of(ws: ClientConnection, wanted: Any, timeout: float = 30) -> dict[str, Any]:
    """The next message for which ``wanted`` is true, skipping others."""
    while True:
        message: dict[str, Any] = json.loads(ws.recv(timeout=timeout))
        if wanted(message):
            return message
