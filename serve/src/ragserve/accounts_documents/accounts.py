"""``POST /api/signup`` and ``POST /api/login`` (API 04): email + password accounts, JWT access tokens.

Emails are the platform's usernames, stored lowercased so ``Ana@X.org`` and ``ana@x.org`` are one
account. Passwords are hashed with argon2. A failed login says the same thing whether the email or
the password was wrong, and takes about as long either way, so the endpoint does not reveal which
emails have accounts.
"""

from __future__ import annotations

import secrets
from functools import cache
from typing import Any

from fastapi import APIRouter, status

from ragplatform.errors import Conflict, NotFound, PermissionDenied, Unauthorized
from ragserve.accounts_documents.schemas import AccountPublic, SignupPublic, Token, UserLogin, UserSignup
from ragserve.auth import create_token, hash_password, verify_password
from ragserve.deps import PlatformDep

router = APIRouter(prefix="/api", tags=["auth"])

LOGIN_FAILED = "invalid email or password"

ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "Wrong email or password (the same message for both)"},
    409: {"description": "An account with this email exists already"},
    422: {"description": "Malformed email, password shorter than 8 characters, or missing field"},
}


@cache
def _dummy_hash() -> str:
    return hash_password(secrets.token_urlsafe(16))


@router.post(
    "/signup",
    response_model=SignupPublic,
    status_code=status.HTTP_201_CREATED,
    summary="Create an account",
    description="Registers a user with the `user` role. Sign in with `POST /api/login` afterwards.",
    responses={k: ERRORS[k] for k in (409, 422)},
)
def signup(body: UserSignup, platform: PlatformDep) -> SignupPublic:
    taken = Conflict(f"an account with the email {body.email!r} exists already; sign in instead")
    try:
        platform.content.get_user_by_username(body.email)
        raise taken
    except NotFound:
        pass
    try:
        user = platform.content.create_user(body.email, hash_password(body.password), full_name=body.name)
    except Conflict:  # signed up concurrently
        raise taken from None
    return SignupPublic(message="User created successfully", user=AccountPublic.of(user))


@router.post(
    "/login",
    response_model=Token,
    summary="Sign in and get a JWT",
    description="Exchanges email and password for a bearer access token and the user's details.",
    responses={401: ERRORS[401], 403: {"description": "The account is disabled"}},
)
def login(body: UserLogin, platform: PlatformDep) -> Token:
    try:
        user = platform.content.get_user_by_username(body.email.strip().lower())
    except NotFound:
        verify_password(_dummy_hash(), body.password)  # same work as a real check
        raise Unauthorized(LOGIN_FAILED) from None
    if not verify_password(user.password_hash, body.password):
        raise Unauthorized(LOGIN_FAILED)
    if not user.is_active:
        raise PermissionDenied("this account is disabled")
    token, expires = create_token(platform, user)
    return Token(access_token=token, expires_at=expires, user=AccountPublic.of(user))
