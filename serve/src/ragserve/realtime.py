"""Socket.IO on ``/socket.io`` (API 05), served by the FastAPI app itself.

Two namespaces:

- ``/``: open. A client may connect anonymously; a token, when sent, must be valid
  (the same rule as the open REST dialects: an expired token is refused, so the client
  learns it must sign in again).
- ``/assistant/realtime``: needs a JWT; rooms where every member sees the question and
  the assistant's answer (see ``ragserve.realtime_rooms``).

A token is read, in this order, from the ``auth`` payload (``{"token": ...}``), the
``token`` query parameter, an ``Authorization: Bearer`` header, or the ``access_token``
cookie. With ``REDIS_URL`` set, rooms and broadcasts span every worker through Redis
pub/sub (``AsyncRedisManager``); without it they live in this process.
"""

from __future__ import annotations

import logging
import weakref
from collections.abc import Callable
from http.cookies import CookieError, SimpleCookie
from typing import Any
from urllib.parse import parse_qs

import socketio
from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool

from ragplatform.content.base import User
from ragplatform.errors import Unauthorized
from ragplatform.factory import Platform
from ragplatform.settings import Settings
from ragserve.auth import ACCESS_COOKIE, user_from_token

log = logging.getLogger(__name__)

SOCKETIO_PATH = "/socket.io"
# Small enough that a dropped long-polling client is noticed quickly; see ``ping_settings``.
DEFAULT_PING_INTERVAL_S = 10.0
DEFAULT_PING_TIMEOUT_S = 10.0

PlatformGetter = Callable[[], Platform]

_servers: weakref.WeakSet[Any] = weakref.WeakSet()


def connection_count() -> int:
    """Engine.IO connections open in this process, over every installed server (a gauge)."""
    return sum(len(server.eio.sockets) for server in list(_servers))


def ping_settings(settings: Settings) -> tuple[float, float]:
    """(ping_interval, ping_timeout) in seconds: ``SERVE__SOCKETIO_PING_INTERVAL_S`` and
    ``SERVE__SOCKETIO_PING_TIMEOUT_S`` when the settings define them, small defaults otherwise."""
    interval = getattr(settings.serve, "socketio_ping_interval_s", None) or DEFAULT_PING_INTERVAL_S
    timeout = getattr(settings.serve, "socketio_ping_timeout_s", None) or DEFAULT_PING_TIMEOUT_S
    return float(interval), float(timeout)


def allowed_origins(settings: Settings) -> str | list[str] | None:
    """The app's CORS origins, for the WebSocket ``Origin`` check Engine.IO makes: ``"*"`` when
    open, the list when configured, ``None`` (same origin only) when none are."""
    from ragserve.main import cors_origins  # main imports this module

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


# -- tokens ---------------------------------------------------------------------


def token_from_handshake(environ: dict[str, Any], auth: Any) -> str | None:
    """The JWT a client sent: auth payload, ``token`` query parameter, bearer header, cookie."""
    if isinstance(auth, dict):
        for key in ("token", "access_token"):
            value = auth.get(key)
            if isinstance(value, str) and value.strip():
                return _strip_bearer(value)
    elif isinstance(auth, str) and auth.strip():
        return _strip_bearer(auth)
    query = parse_qs(environ.get("QUERY_STRING", ""))
    for key in ("token", "access_token"):
        if query.get(key) and query[key][0].strip():
            return _strip_bearer(query[key][0])
    header = str(environ.get("HTTP_AUTHORIZATION", ""))
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    cookie = SimpleCookie()
    try:
        cookie.load(str(environ.get("HTTP_COOKIE", "")))
    except CookieError:
        return None
    morsel = cookie.get(ACCESS_COOKIE)
    return morsel.value if morsel is not None and morsel.value else None


def _strip_bearer(value: str) -> str:
    value = value.strip()
    return value[7:].strip() if value.lower().startswith("bearer ") else value


async def authenticate(platform: Platform, environ: dict[str, Any], auth: Any, required: bool) -> User | None:
    """The user a handshake names. Refuses the connection (the client sees ``connect_error``
    with ``{"message": ...}``) when a token is required and missing, or sent and invalid."""
    token = token_from_handshake(environ, auth)
    if token is None:
        if required:
            raise socketio.exceptions.ConnectionRefusedError(
                "not authenticated: send the access token as auth={'token': ...}"
            )
        return None
    try:
        return await run_in_threadpool(user_from_token, platform, token)
    except Unauthorized as exc:
        raise socketio.exceptions.ConnectionRefusedError(str(exc)) from None


# -- the default namespace ------------------------------------------------------


def register_default_namespace(sio: Any, platform_getter: PlatformGetter) -> None:
    """``/``: anonymous connections allowed; the signed-in user, if any, is kept in the session."""

    async def connect(sid: str, environ: dict[str, Any], auth: Any = None) -> None:
        user = await authenticate(platform_getter(), environ, auth, required=False)
        await sio.save_session(sid, {"user": user}, namespace="/")

    async def disconnect(sid: str, reason: Any = None) -> None:
        log.debug("socket.io client %s left / (%s)", sid, reason)

    sio.on("connect", handler=connect, namespace="/")
    sio.on("disconnect", handler=disconnect, namespace="/")


# -- wiring ---------------------------------------------------------------------


def install(app: FastAPI, platform_getter: PlatformGetter) -> None:
    """Mounts the Socket.IO server on ``app`` at ``/socket.io`` (the clients' default path)."""
    from ragserve.realtime_rooms import register_rooms_namespace

    sio = build_server(app.state.settings)
    register_default_namespace(sio, platform_getter)
    register_rooms_namespace(sio, platform_getter)
    # The mount does the routing; socketio_path=None hands Engine.IO everything under it.
    app.mount(SOCKETIO_PATH, socketio.ASGIApp(sio, socketio_path=None))
    app.state.sio = sio
    _servers.add(sio)


def on_startup(platform: Platform) -> None:
    manager = "Redis" if platform.settings.redis_url else "in-process"
    log.info("socket.io ready on %s (%s client manager)", SOCKETIO_PATH, manager)
