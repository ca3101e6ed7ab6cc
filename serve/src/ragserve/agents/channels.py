"""API 02's WebSocket channels; for now ``WS /api/ws/notifications``.

The token comes as ``?token=`` or ``Authorization: Bearer``; without one, or with a bad one, the
server accepts, sends ``{"type": "error", "code": "UNAUTHORIZED", ...}`` and closes with 1008.
A connected user listens to ``user:<own id>`` from the start. Client messages (JSON text):
``heartbeat`` (answered with the server's ``timestamp``), ``ping`` (``pong``), ``subscribe`` /
``unsubscribe`` with a ``topic`` (acknowledged with ``subscribed`` / ``unsubscribed``, which the
document leaves open). A user may subscribe to ``user:<own id>`` only, an admin to any ``user:<id>``;
any other topic is ``INVALID_TOPIC``; a message that is not JSON or of no known type ``BAD_REQUEST``.
Events arrive in both forms (``ragserve.agents.events``), from any replica through ``TopicHub``.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

from fastapi import APIRouter, WebSocket, status
from starlette.concurrency import run_in_threadpool

from ragplatform.content.base import User
from ragplatform.errors import Unauthorized
from ragserve.agents.events import NOTIFICATIONS, now_iso, user_topic
from ragserve.auth import token_from_websocket, user_from_token
from ragserve.notify import TopicHub, TopicSubscription
from ragserve.sockets import run_both

log = logging.getLogger(__name__)

router = APIRouter(tags=["realtime channels (API 02)"])

MAX_TOPIC = 200


def error(code: str, message: str) -> dict[str, Any]:
    return {"type": "error", "code": code, "message": message}


def notification_topic_error(user: User, topic: Any) -> str | None:
    """Why ``user`` may not listen to ``topic`` on the notifications channel; None when allowed."""
    if not isinstance(topic, str) or not topic.startswith("user:") or len(topic) > MAX_TOPIC:
        return "topics of this channel are user:<id>"
    if topic != user_topic(user.id) and user.role != "admin":
        return "you may subscribe to your own topic only: " + user_topic(user.id)
    return None


async def authenticate(websocket: WebSocket) -> User | None:
    """The token's user; otherwise tells the client why and closes with 1008 (after accepting, so
    every client library sees the close code rather than a refused handshake)."""
    platform = websocket.app.state.platform
    await websocket.accept()
    try:
        return await run_in_threadpool(user_from_token, platform, token_from_websocket(websocket))
    except Unauthorized as exc:
        await websocket.send_text(json.dumps(error("UNAUTHORIZED", exc.message)))
        await websocket.close(status.WS_1008_POLICY_VIOLATION, exc.message[:120])
        return None


class ChannelConnection:
    """One socket: forwards the hub's messages for its topics and answers the client's messages."""

    def __init__(self, websocket: WebSocket, user: User, subscription: TopicSubscription) -> None:
        self.websocket = websocket
        self.user = user
        self.subscription = subscription
        self._send_lock = asyncio.Lock()

    async def send(self, message: dict[str, Any]) -> None:
        async with self._send_lock:
            await self.websocket.send_text(json.dumps(message, ensure_ascii=False, default=str))

    async def forward(self) -> None:
        while True:
            await self.send(await self.subscription.queue.get())

    async def listen(self) -> None:
        while True:
            message = await self.websocket.receive()
            if message["type"] == "websocket.disconnect":
                return
            await self.send(self.reply(message.get("text")))

    def reply(self, text: str | None) -> dict[str, Any]:
        try:
            message = json.loads(text) if text is not None else None
        except ValueError:
            message = None
        if not isinstance(message, dict) or not isinstance(message.get("type"), str):
            return error(
                "BAD_REQUEST", 'send a JSON object with a "type": heartbeat, ping, subscribe or unsubscribe'
            )
        kind, topic = message["type"], message.get("topic")
        if kind == "heartbeat":
            return {"type": "heartbeat", "timestamp": now_iso()}
        if kind == "ping":
            return {"type": "pong"}
        if kind in ("subscribe", "unsubscribe"):
            problem = notification_topic_error(self.user, topic)
            if problem is not None:
                return error("INVALID_TOPIC", problem)
            (self.subscription.topics.add if kind == "subscribe" else self.subscription.topics.discard)(
                str(topic)
            )
            return {"type": f"{kind}d", "channel": NOTIFICATIONS, "topic": topic}
        return error(
            "BAD_REQUEST",
            f"unknown message type {kind[:50]!r}: use heartbeat, ping, subscribe or unsubscribe",
        )


@router.websocket("/api/ws/notifications")
async def notifications_socket(websocket: WebSocket) -> None:
    """The caller's notifications as they are created; the protocol is in this module's docstring."""
    hub: TopicHub = websocket.app.state.topics
    user = await authenticate(websocket)
    if user is None:
        return
    subscription = hub.subscribe({user_topic(user.id)})
    connection = ChannelConnection(websocket, user, subscription)
    try:
        await run_both(connection.forward(), connection.listen(), "notifications")
    finally:
        hub.unsubscribe(subscription)
