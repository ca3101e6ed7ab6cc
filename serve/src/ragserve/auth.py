"""Passwords (argon2), JWTs (access + refresh) and the user dependencies every dialect uses.

A token is read from ``Authorization: Bearer …`` or, for browsers (API 05), the
``access_token`` HTTP-only cookie. WebSocket and Socket.IO handlers call
``user_from_token`` with the token from their query string or auth payload.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from fastapi import Depends, Request, WebSocket

from ragplatform.accounts.active import active_user
from ragplatform.content.base import User
from ragplatform.errors import Conflict, NotFound, PermissionDenied, Unauthorized
from ragplatform.factory import Platform
from ragserve.deps import PlatformDep

ALGORITHM = "HS256"
ACCESS_COOKIE = "access_token"
REFRESH_COOKIE = "refresh_token"
TokenKind = Literal["access", "refresh"]

_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    if not password_hash:
        return False
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def create_token(platform: Platform, user: User, kind: TokenKind = "access") -> tuple[str, datetime]:
    """A signed JWT for ``user``; returns it with its expiry."""
    auth = platform.settings.auth
    now = datetime.now(UTC)
    ttl = (
        timedelta(minutes=auth.access_token_minutes)
        if kind == "access"
        else timedelta(days=auth.refresh_token_days)
    )
    expires = now + ttl
    claims = {
        "sub": user.id,
        "email": user.username,
        "name": user.full_name,
        "role": user.role,
        "type": kind,
        "iat": int(now.timestamp()),
        "exp": int(expires.timestamp()),
        "jti": uuid.uuid4().hex,
    }
    return jwt.encode(claims, platform.settings.jwt_secret.get_secret_value(), algorithm=ALGORITHM), expires


def decode_token(platform: Platform, token: str, kind: TokenKind = "access") -> dict[str, Any]:
    """Claims of a valid token of ``kind``. Raises Unauthorized naming what is wrong."""
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            platform.settings.jwt_secret.get_secret_value(),
            algorithms=[ALGORITHM],
            options={"require": ["exp", "sub", "type"]},
        )
    except jwt.ExpiredSignatureError as exc:
        raise Unauthorized("token expired: sign in again") from exc
    except (jwt.PyJWTError, UnicodeError) as exc:  # UnicodeError: a token holding a lone surrogate
        raise Unauthorized("invalid token") from exc
    if claims.get("type") != kind:
        raise Unauthorized(f"expected an {kind} token")
    return claims


def user_from_token(platform: Platform, token: str | None, kind: TokenKind = "access") -> User:
    """The active user a token names. Raises Unauthorized."""
    if not token:
        raise Unauthorized("not authenticated: send 'Authorization: Bearer <token>'")
    claims = decode_token(platform, token, kind)
    return active_user(platform.content, str(claims["sub"]))


def token_from_request(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return request.cookies.get(ACCESS_COOKIE)


def token_from_websocket(websocket: WebSocket) -> str | None:
    """``?token=``, then ``Authorization: Bearer``, then the ``access_token`` cookie."""
    token = websocket.query_params.get("token")
    if token:
        return token
    scheme, _, value = websocket.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return websocket.cookies.get(ACCESS_COOKIE)


def get_current_user(request: Request, platform: PlatformDep) -> User:
    return user_from_token(platform, token_from_request(request))


def get_optional_user(request: Request, platform: PlatformDep) -> User | None:
    """The caller when a valid token is sent; None for anonymous callers (open dialects).
    A token that is sent but invalid is still refused, so a client learns its token expired."""
    token = token_from_request(request)
    return user_from_token(platform, token) if token else None


def get_admin(user: Annotated[User, Depends(get_current_user)]) -> User:
    if user.role != "admin":
        raise PermissionDenied("this needs an admin account")
    return user


CurrentUser = Annotated[User, Depends(get_current_user)]
OptionalUser = Annotated[User | None, Depends(get_optional_user)]
AdminUser = Annotated[User, Depends(get_admin)]


def content_writer(request: Request, platform: PlatformDep) -> User | None:
    """Content writes need an admin, unless AUTH__OPEN_CONTENT_WRITES lets legacy clients in."""
    if platform.settings.auth.open_content_writes and not token_from_request(request):
        return None
    return get_admin(get_current_user(request, platform))


ContentWriter = Annotated[User | None, Depends(content_writer)]


def ensure_admin(platform: Platform) -> User:
    """Creates the admin account from settings on first start (idempotent, safe across processes)."""
    s = platform.settings
    try:
        return platform.content.get_user_by_username(s.admin_username)
    except NotFound:
        pass
    try:
        return platform.content.create_user(
            s.admin_username,
            hash_password(s.admin_password.get_secret_value()),
            role="admin",
            full_name="Admin",
        )
    except Conflict:
        return platform.content.get_user_by_username(s.admin_username)
