"""``/api/v1/auth`` (API 05): OAuth/OIDC sign-in and the cookie session.

The flow: ``/{provider}/login`` → the provider → ``/{provider}/callback`` →
``/login-success-redirect?token=…`` → the frontend (``AUTH__FRONTEND_URL``) with
``?token=…`` → the frontend calls ``/validate-token?token=…``, which sets the
``access_token`` and ``refresh_token`` HTTP-only cookies. The temporary token
lives two minutes and works once.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from fastapi import APIRouter, HTTPException, Query, Request, Response, status
from fastapi.responses import RedirectResponse

from ragplatform.accounts import oidc
from ragplatform.content.base import User
from ragplatform.factory import Platform
from ragserve.auth import ACCESS_COOKIE, REFRESH_COOKIE, CurrentUser, create_token, user_from_token
from ragserve.deps import PlatformDep
from ragserve.v1.schemas import Message, TokenRefreshedPublic, UserPublic

PREFIX = "/api/v1/auth"
router = APIRouter(prefix=PREFIX, tags=["v1 auth"])

TokenParam = Annotated[str, Query(min_length=1, max_length=4096, description="the temporary sign-in token")]


def _set_session_cookies(
    platform: Platform, response: Response, user: User, refresh: bool = True
) -> datetime:
    auth = platform.settings.auth
    access, expires = create_token(platform, user, "access")
    response.set_cookie(
        ACCESS_COOKIE,
        access,
        max_age=auth.access_token_minutes * 60,
        path="/",
        httponly=True,
        samesite="lax",
        secure=auth.cookie_secure,
    )
    if refresh:
        token, _ = create_token(platform, user, "refresh")
        response.set_cookie(
            REFRESH_COOKIE,
            token,
            max_age=auth.refresh_token_days * 86400,
            path=PREFIX,
            httponly=True,
            samesite="lax",
            secure=auth.cookie_secure,
        )
    return expires


def _with_query(url: str, **params: str) -> str:
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in params]
    return urlunsplit(parts._replace(query=urlencode([*query, *params.items()])))


@router.get(
    "/login-success-redirect",
    status_code=302,
    response_class=RedirectResponse,
    summary="Send the browser to the frontend with the temporary token",
    responses={
        302: {"description": "to AUTH__FRONTEND_URL with ?token=…"},
        401: {"description": "invalid or expired token"},
    },
)
def login_success_redirect(token: TokenParam, platform: PlatformDep) -> RedirectResponse:
    oidc.check_temp_token(platform, token)
    return RedirectResponse(_with_query(platform.settings.auth.frontend_url, token=token), status_code=302)


@router.get(
    "/validate-token",
    response_model=UserPublic,
    summary="Trade the temporary token (once) for the access and refresh cookies",
    responses={401: {"description": "invalid, expired or already used token"}},
)
def validate_token(token: TokenParam, response: Response, platform: PlatformDep) -> UserPublic:
    user = oidc.check_temp_token(platform, token, consume=True)
    _set_session_cookies(platform, response, user)
    response.headers["Cache-Control"] = "no-store"
    return UserPublic.of(user)


@router.get(
    "/me", response_model=UserPublic, summary="The signed-in user (access_token cookie or Bearer token)"
)
def me(user: CurrentUser) -> UserPublic:
    return UserPublic.of(user)


@router.post("/logout", response_model=Message, summary="Clear the auth cookies (idempotent)")
def logout(response: Response, platform: PlatformDep) -> Message:
    secure = platform.settings.auth.cookie_secure
    response.delete_cookie(ACCESS_COOKIE, path="/", httponly=True, samesite="lax", secure=secure)
    response.delete_cookie(REFRESH_COOKIE, path=PREFIX, httponly=True, samesite="lax", secure=secure)
    return Message(message="signed out")


@router.post(
    "/refresh",
    response_model=TokenRefreshedPublic,
    summary="A new access_token cookie from the refresh_token cookie",
    responses={401: {"description": "no refresh_token cookie, or it is invalid or expired"}},
)
def refresh(request: Request, response: Response, platform: PlatformDep) -> TokenRefreshedPublic:
    user = user_from_token(platform, request.cookies.get(REFRESH_COOKIE), "refresh")
    expires = _set_session_cookies(platform, response, user, refresh=False)
    return TokenRefreshedPublic(user=UserPublic.of(user), access_token_expires_at=expires)


@router.get(
    "/{provider}/login",
    status_code=302,
    response_class=RedirectResponse,
    summary="Redirect to the OAuth provider's sign-in page",
    responses={
        302: {"description": "to the provider's authorization endpoint"},
        404: {
            "description": "unknown provider, or the provider is not configured (the detail names the settings)"
        },
        503: {"description": "the provider cannot be reached"},
    },
)
def login(provider: str, request: Request, platform: PlatformDep) -> RedirectResponse:
    auth = platform.settings.auth
    oidc.check_provider(auth, provider)
    url, state_cookie = oidc.authorization_redirect(platform, request.app.state.oidc_cache, provider)
    response = RedirectResponse(url, status_code=302)
    response.set_cookie(
        oidc.STATE_COOKIE,
        state_cookie,
        max_age=oidc.STATE_TTL_S,
        path=PREFIX,
        httponly=True,
        samesite="lax",
        secure=auth.cookie_secure,
    )
    return response


@router.get(
    "/{provider}/callback",
    status_code=302,
    response_class=RedirectResponse,
    summary="The provider's redirect back: sign the user in, create the account on first sign-in",
    responses={
        302: {"description": "to /api/v1/auth/login-success-redirect?token=…"},
        400: {"description": "the provider refused, or state/code are missing or do not match"},
        403: {"description": "the email is not on the whitelist, unverified, or its account is disabled"},
        404: {
            "description": "unknown provider, or the provider is not configured (the detail names the settings)"
        },
        503: {"description": "the provider cannot be reached"},
    },
)
def callback(
    provider: str,
    request: Request,
    platform: PlatformDep,
    code: Annotated[str | None, Query(max_length=4096)] = None,
    state: Annotated[str | None, Query(max_length=1024)] = None,
    error: Annotated[str | None, Query(max_length=1024)] = None,
) -> RedirectResponse:
    oidc.check_provider(platform.settings.auth, provider)
    if error:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, f"the sign-in provider refused the sign-in: {error}")
    if not code:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, "the callback needs the provider's 'code' parameter")
    try:
        identity = oidc.identify(
            platform,
            request.app.state.oidc_cache,
            provider,
            code,
            request.cookies.get(oidc.STATE_COOKIE),
            state,
        )
    except oidc.ProviderRefused as exc:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, exc.message) from None
    user = oidc.find_or_create_user(platform, identity)
    token = oidc.create_temp_token(platform, user)
    response = RedirectResponse(_with_query(f"{PREFIX}/login-success-redirect", token=token), status_code=302)
    response.delete_cookie(oidc.STATE_COOKIE, path=PREFIX, httponly=True, samesite="lax")
    return response
