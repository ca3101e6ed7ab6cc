"""``GET /notify`` (connection info) and ``WS /notify`` (API 01): admins' clients receive a
``new_session`` message for every answer that starts with "I don't know".

The socket is open, as API 01 documents. A client's ``keepalive`` text is answered
with ``keepalive_ack`` (not JSON, which the documented client ignores); protocol
pings are answered by the server itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from typing import Any

from fastapi import APIRouter, Request, WebSocket, WebSocketDisconnect
from pydantic import BaseModel, Field

from ragserve.notify import NotificationHub

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


class NotifyInfo(BaseModel):
    websocket_endpoint: str
    connection_type: str
    protocol: str = Field(description='"ws://" or "wss://", following the scheme this request came in on')
    server: str
    port: str
    full_url: str
    description: str
    notification_format: dict[str, Any]
    client_example: str


@router.get(
    PATH,
    response_model=NotifyInfo,
    summary="How to connect to the notification WebSocket",
    description="URLs are computed from the host and scheme of this request (a proxy's X-Forwarded-Proto "
    "counts where uvicorn trusts the proxy).",
)
def notify_info(request: Request) -> NotifyInfo:
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
    return NotifyInfo(
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
    """Forwards every hub message as JSON text until the client goes away."""
    hub: NotificationHub = websocket.app.state.hub
    queue = hub.subscribe()  # before accepting, so nothing published after the handshake is missed
    try:
        await websocket.accept()
    except Exception:
        hub.unsubscribe(queue)
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

    tasks = [asyncio.create_task(forward()), asyncio.create_task(listen())]
    try:
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        for task in done:
            exc = task.exception()
            if exc is not None and not isinstance(exc, WebSocketDisconnect):
                log.info("notification socket closed: %r", exc)
    finally:
        hub.unsubscribe(queue)
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
