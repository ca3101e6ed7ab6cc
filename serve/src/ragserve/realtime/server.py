"""Socket.IO on ``/socket.io`` (API 05), served by the FastAPI app itself.

Two namespaces:

- ``/``: open. A client may connect anonymously; a token, when sent, must be valid
  (the same rule as the open REST dialects: an expired token is refused, so the client
  learns it must sign in again).
- ``/assistant/realtime``: needs a JWT; rooms where every member sees the question and
  the assistant's answer (see ``ragserve.realtime.rooms``).

A token is read, in this order, from the ``auth`` payload (``{"token": ...}``), the
``token`` query parameter, an ``Authorization: Bearer`` header, or the ``access_token``
cookie. With ``REDIS_URL`` set, rooms and broadcasts span every worker through Redis
pub/sub (``AsyncRedisManager``); without it they live in this process.
"""

from __future__ import annotations

import logging
from typing import Any

import socketio
from fastapi import FastAPI

from ragplatform.factory import Platform
from ragplatform.settings import Settings
from ragserve.cors import cors_origins
from ragserve.realtime.default_namespace import register_default_namespace
from ragserve.realtime.handshake import PlatformGetter
from ragserve.realtime.rooms import register_rooms_namespace

log = logging.getLogger(__name__)

SOCKETIO_PATH = "/socket.io"
# Small enough that a dropped long-polling client is noticed quickly; see ``ping_settings``.
DEFAULT_PING_INTERVAL_S = 10.0
DEFAULT_PING_TIMEOUT_S = 10.0


def connection_count(sio: Any) -> int:
    """Engine.IO connections open on this server (this process; a gauge)."""
    return len(sio.eio.sockets)


def ping_settings(settings: Settings) -> tuple[float, float]:
    """(ping_interval, ping_timeout) in seconds: ``SERVE__SOCKETIO_PING_INTERVAL_S`` and
    ``SERVE__SOCKETIO_PING_TIMEOUT_S`` when the settings define them, small defaults otherwise."""
    interval = getattr(settings.serve, "socketio_ping_interval_s", None) or DEFAULT_PING_INTERVAL_S
    timeout = getattr(settings.serve, "socketio_ping_timeout_s", None) or DEFAULT_PING_TIMEOUT_S
    return float(interval), float(timeout)


def allowed_origins(settings: Settings) -> str | list[str] | None:
    """The app's CORS origins, for the WebSocket ``Origin`` check Engine.IO makes: ``"*"`` when
    open, the list when configured, ``None`` (same origin only) when none are."""
    origins = cors_origins(settings)
    if "*" in origins:
        return "*"
    return origins or None


def build_server(settings: Settings) -> Any:
    """An ``AsyncServer`` with a Redis client manager when ``redis_url`` is set."""
    interval, timeout = ping_settings(settings)
    manager = socketio.AsyncRedisManager(settings.redis_url) if settings.redis_url else None
    return socketio.AsyncServer(
        async_mode="asgi",
        client_manager=manager,
        cors_allowed_origins=allowed_origins(settings),
        ping_interval=interval,
        ping_timeout=timeout,
        logger=False,
        engineio_logger=False,
    )


# -- wiring ---------------------------------------------------------------------


def install(app: FastAPI, platform_getter: PlatformGetter) -> None:
    """Mounts the Socket.IO server on ``app`` at ``/socket.io`` (the clients' default path)."""
    sio = build_server(app.state.settings)
    register_default_namespace(sio, platform_getter)
    register_rooms_namespace(sio, platform_getter)
    # The mount does the routing; socketio_path=None hands Engine.IO everything under it.
    app.mount(SOCKETIO_PATH, socketio.ASGIApp(sio, socketio_path=None))
    app.state.sio = sio


def on_startup(platform: Platform) -> None:
    manager = "Redis" if platform.settings.redis_url else "in-process"
    log.info("socket.io ready on %s (%s client manager)", SOCKETIO_PATH, manager)
