"""``GET /notify`` (connection info) and ``WS /notify`` (API 01): admins' clients receive a
``new_session`` message for every answer that starts with "I don't know".

Who hears what (``ragserve.notify.may_receive``): a listener with an admin token (``?token=``,
``Authorization: Bearer`` or the ``access_token`` cookie) every exchange; a listener with another
account's token that account's own; a listener without a token, as API 01 documents the socket
open, the exchanges of open (anonymous) sessions only, and only while ``SERVE__NOTIFY_OPEN_STREAM``
is on. A signed-in account's questions never reach a listener without a token. A token that is
sent but invalid closes the socket with 1008. A client's ``keepalive`` text is answered with
``keepalive_ack`` (not JSON, which the documented client ignores); protocol pings are answered by
the server itself.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

from fastapi import APIRouter, Request, WebSocket, status
from starlette.concurrency import run_in_threadpool

from ragplatform.errors import Unauthorized
from ragserve.auth import token_from_websocket, user_from_token
from ragserve.knowledge_assistant.schemas import NotifyInfoPublic
from ragserve.notify import Listener, NotificationHub
from ragserve.sockets import run_both

log = logging.getLogger(__name__)

router = APIRouter(tags=["notifications (API 01)"])

PATH = "/notify"
KEEPALIVE = "keepalive"
KEEPALIVE_ACK = "keepalive_ack"

NOTIFICATION_FORMAT: dict[str, Any] = {
    "type": "new_session",
    "timestamp": "YYYY-MM-DD HH:MM:SS",
    "data": {
        "session_id": "the session's id",
        "factor": "user",
        "action": "the kind of action",
        "message": "the user's question",
        "response": "I don't know...",
        "user_id": "the user's id",
        "first_name": "the user's first name",
        "last_name": "the user's last name",
        "username": "the user's login name",
        "created_at": "when the session was created",
    },
}

CLIENT_EXAMPLE = """import json
import websocket

def on_message(ws, message):
    try:
        data = json.loads(message)
    except json.JSONDecodeError:
        return  # keepalive_ack
    if data.get("type") == "new_session":
        print(data["data"]["message"], "->", data["data"]["response"])

ws = websocket.WebSocketApp("{url}", on_message=on_message,
                            on_open=lambda ws: ws.send("keepalive"))
ws.run_forever(ping_interval=60, ping_timeout=30)
"""


@router.get(
    PATH,
    response_model=NotifyInfoPublic,
    summary="How to connect to the notification WebSocket",
    description="URLs are computed from the host and scheme of this request (a proxy's X-Forwarded-Proto "
    "counts where uvicorn trusts the proxy).",
)
def notify_info(request: Request) -> NotifyInfoPublic:
    secure = request.url.scheme in ("https", "wss")
    protocol = "wss://" if secure else "ws://"
    try:
        server, explicit_port = request.url.hostname or "localhost", request.url.port
    except ValueError:  # a malformed Host header ("host:notaport")
        server, explicit_port = "localhost", None
    port = explicit_port or (443 if secure else 80)
    default_port = port == (443 if secure else 80)
    host = server if default_port else f"{server}:{port}"
    full_url = f"{protocol}{host}{PATH}"
    return NotifyInfoPublic(
        websocket_endpoint=PATH,
        connection_type="WebSocket",
        protocol=protocol,
        server=server,
        port=str(port),
        full_url=full_url,
        description='Notifications about new sessions that need attention: answers that start with "I don\'t know"',
        notification_format=NOTIFICATION_FORMAT,
        client_example=CLIENT_EXAMPLE.replace("{url}", full_url),
    )


@router.websocket(PATH)
async def notify_socket(websocket: WebSocket) -> None:
    """Forwards the hub's messages this listener may read, as JSON text, until the client goes away."""
    hub: NotificationHub = websocket.app.state.hub
    platform = websocket.app.state.platform
    token = token_from_websocket(websocket)
    try:
        user = await run_in_threadpool(user_from_token, platform, token) if token else None
    except Unauthorized as exc:
        await websocket.close(status.WS_1008_POLICY_VIOLATION, exc.message)
        return
    listener = Listener(user=user, open_stream=platform.settings.serve.notify_open_stream)
    subscription = hub.subscribe(listener)  # before accepting: nothing published after it is missed
    queue = subscription.queue
    try:
        await websocket.accept()
    except Exception:
        hub.unsubscribe(subscription)
        raise
    send_lock = asyncio.Lock()

    async def send(text: str) -> None:
        async with send_lock:
            await websocket.send_text(text)

    async def forward() -> None:
        while True:
            message = await queue.get()
            await send(json.dumps(message, ensure_ascii=False))

    async def listen() -> None:
        while True:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                return
            text = message.get("text")
            if text is not None and text.strip().lower() == KEEPALIVE:
                await send(KEEPALIVE_ACK)

    try:
        await run_both(forward(), listen(), "notification")
    finally:
        hub.unsubscribe(subscription)
