"""API 02's WebSocket channels, one protocol for the three of them.

The token comes as ``?token=`` or ``Authorization: Bearer``; without one, or with a bad one, the
server accepts, sends ``{"type": "error", "code": "UNAUTHORIZED", ...}`` and closes with 1008.
Client messages (JSON text): ``heartbeat`` (answered with the server's ``timestamp``), ``ping``
(``pong``), ``subscribe`` / ``unsubscribe`` with a ``topic`` and optional ``params`` (acknowledged
with ``subscribed`` / ``unsubscribed``, which the document leaves open). A topic the caller may not
hear, or that the channel does not know, is ``INVALID_TOPIC``; a message that is not JSON or of no
known type ``BAD_REQUEST``.

Each channel is a ``Channel``: the hub keys a connection hears from the start, what a topic
subscribes to (and who may), and how an event is written out. Events come from the platform's
``EventBus`` (any process, any replica) through ``TopicHub``; by default each goes out in both forms
the document shows, the typed event first, then the ``{"type": "event", ...}`` envelope.
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
from ragplatform.events import PlatformEvent, now_iso
from ragplatform.factory import Platform
from ragserve.auth import token_from_websocket, user_from_token
from ragserve.notify import TopicHub, TopicSubscription
from ragserve.sockets import run_both

log = logging.getLogger(__name__)

MAX_TOPIC = 200
MESSAGE_TYPES = "heartbeat, ping, subscribe or unsubscribe"


class TopicRefused(Exception):
    """``code`` (``INVALID_TOPIC`` or ``BAD_REQUEST``) and a message for the client."""

    def __init__(self, message: str, code: str = "INVALID_TOPIC") -> None:
        super().__init__(message)
        self.message = message
        self.code = code


def error(code: str, message: str) -> dict[str, Any]:
    return {"type": "error", "code": code, "message": message}


def user_topic(user_id: str) -> str:
    return f"user:{user_id}"


def own_user_topic(user: User, topic: str) -> str:
    """``user:<id>``: a user's own, any for an admin. Returns the topic; raises TopicRefused."""
    if topic != user_topic(user.id) and user.role != "admin":
        raise TopicRefused("you may subscribe to your own topic only: " + user_topic(user.id))
    return topic


def envelope(channel: str, topic: str, data: Any, ts: str | None = None) -> dict[str, Any]:
    return {"type": "event", "channel": channel, "topic": topic, "data": data, "ts": ts or now_iso()}


class Channel:
    """A channel's policy. Subclasses name it and override what differs."""

    name: str = ""
    topics_help: str = "user:<id>"

    def initial_keys(self, user: User) -> set[str]:
        """What a connection hears from the start: the user's own events."""
        return {f"{self.name}:{user_topic(user.id)}"}

    async def key_for(self, connection: ChannelConnection, topic: str, params: dict[str, Any]) -> str:
        """The hub key ``topic`` subscribes to. Raises TopicRefused."""
        if topic.startswith("user:"):
            return f"{self.name}:{own_user_topic(connection.user, topic)}"
        raise TopicRefused(f"unknown topic {topic[:60]!r}; topics of this channel: {self.topics_help}")

    async def subscribed(self, connection: ChannelConnection, topic: str, params: dict[str, Any]) -> None:
        """After the acknowledgement: a channel may send the topic's current state."""

    async def render(self, connection: ChannelConnection, event: PlatformEvent) -> list[dict[str, Any]]:
        """The messages ``event`` becomes on this connection: typed, then the envelope."""
        topic = event.topics[0] if event.topics else user_topic(event.owner or "")
        data = event.envelope if event.envelope is not None else event.data
        return [{"type": event.type, "data": event.data}, envelope(self.name, topic, data, event.ts)]


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
    """One socket: forwards the hub's events for its keys and answers the client's messages.
    ``topics`` holds the document topics subscribed, with their params and hub key."""

    def __init__(
        self, websocket: WebSocket, user: User, channel: Channel, subscription: TopicSubscription
    ) -> None:
        self.websocket = websocket
        self.user = user
        self.channel = channel
        self.subscription = subscription
        self.topics: dict[str, tuple[str, dict[str, Any]]] = {}
        self._send_lock = asyncio.Lock()

    @property
    def platform(self) -> Platform:
        platform: Platform = self.websocket.app.state.platform
        return platform

    async def send(self, message: dict[str, Any]) -> None:
        async with self._send_lock:
            await self.websocket.send_text(json.dumps(message, ensure_ascii=False, default=str))

    async def forward(self) -> None:
        while True:
            event = await self.subscription.queue.get()
            for message in await self.channel.render(self, event):
                await self.send(message)

    async def listen(self) -> None:
        while True:
            message = await self.websocket.receive()
            if message["type"] == "websocket.disconnect":
                return
            await self.answer(message.get("text"))

    async def answer(self, text: str | None) -> None:
        try:
            message = json.loads(text) if text is not None else None
        except ValueError:
            message = None
        if not isinstance(message, dict) or not isinstance(message.get("type"), str):
            await self.send(error("BAD_REQUEST", f'send a JSON object with a "type": {MESSAGE_TYPES}'))
            return
        kind = message["type"]
        if kind == "heartbeat":
            await self.send({"type": "heartbeat", "timestamp": now_iso()})
        elif kind == "ping":
            await self.send({"type": "pong"})
        elif kind in ("subscribe", "unsubscribe"):
            await self.change_subscription(kind, message.get("topic"), message.get("params"))
        else:
            await self.send(error("BAD_REQUEST", f"unknown message type {kind[:50]!r}: use {MESSAGE_TYPES}"))

    async def change_subscription(self, kind: str, topic: Any, params: Any) -> None:
        if not isinstance(topic, str) or not topic or len(topic) > MAX_TOPIC:
            await self.send(error("INVALID_TOPIC", f"give a topic: {self.channel.topics_help}"))
            return
        if params is not None and not isinstance(params, dict):
            await self.send(error("BAD_REQUEST", "params must be a JSON object"))
            return
        ack = {"type": f"{kind}d", "channel": self.channel.name, "topic": topic}
        if kind == "unsubscribe":
            key = self.topics.pop(topic, (None, {}))[0]
            if (
                key is not None
                and key not in self.initial
                and key not in {k for k, _ in self.topics.values()}
            ):
                self.subscription.keys.discard(key)
            await self.send(ack)
            return
        try:
            key = await self.channel.key_for(self, topic, params or {})
        except TopicRefused as refused:
            await self.send(error(refused.code, refused.message))
            return
        self.topics[topic] = (key, params or {})
        self.subscription.keys.add(key)
        await self.send(ack)
        await self.channel.subscribed(self, topic, params or {})

    @property
    def initial(self) -> set[str]:
        return self.channel.initial_keys(self.user)


async def serve_channel(websocket: WebSocket, channel: Channel) -> None:
    """Runs one connection of ``channel`` until the client leaves."""
    hub: TopicHub = websocket.app.state.topics
    user = await authenticate(websocket)
    if user is None:
        return
    subscription = hub.subscribe(channel.initial_keys(user))
    connection = ChannelConnection(websocket, user, channel, subscription)
    try:
        await run_both(connection.forward(), connection.listen(), channel.name)
    finally:
        hub.unsubscribe(subscription)


# -- the notifications channel ---------------------------------------------------------------------

router = APIRouter(tags=["realtime channels (API 02)"])


class NotificationsChannel(Channel):
    """``user:<id>``: a user's own notifications (any user's, for an admin)."""

    name = "notifications"


@router.websocket("/api/ws/notifications")
async def notifications_socket(websocket: WebSocket) -> None:
    """The caller's notifications as they are created; the protocol is in this module's docstring."""
    await serve_channel(websocket, NotificationsChannel())
