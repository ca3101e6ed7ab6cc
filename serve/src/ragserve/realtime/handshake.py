"""The Socket.IO handshake: which token a client sent and whom it names, for every namespace.

A token is read, in this order, from the ``auth`` payload (``{"token": ...}``), the
``token`` query parameter, an ``Authorization: Bearer`` header, or the ``access_token``
cookie. A required token that is missing, or a token sent and invalid, refuses the connection.
"""

from __future__ import annotations

from collections.abc import Callable
from http.cookies import CookieError, SimpleCookie
from typing import Any
from urllib.parse import parse_qs

import socketio
from starlette.concurrency import run_in_threadpool

from ragplatform.content.base import User
from ragplatform.errors import Unauthorized
from ragplatform.factory import Platform
from ragserve.auth import ACCESS_COOKIE, user_from_token

PlatformGetter = Callable[[], Platform]


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
