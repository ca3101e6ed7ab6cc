"""``POST /api/signup`` and ``POST /api/login`` (API 04): email + password accounts, JWT access tokens.

Emails are the platform's usernames, stored lowercased so ``Ana@X.org`` and ``ana@x.org`` are one
account. Passwords are hashed with argon2. A failed login says the same thing whether the email or
the password was wrong, and takes about as long either way, so the endpoint does not reveal which
emails have accounts.
"""

from __future__ import annotations

import re
import secrets
from datetime import datetime
from functools import cache
from typing import Any, Literal

from fastapi import APIRouter, status
from pydantic import BaseModel, Field, field_validator

from ragplatform.content.base import User
from ragplatform.errors import Conflict, NotFound, PermissionDenied, Unauthorized
from ragserve.auth import create_token, hash_password, verify_password
from ragserve.deps import PlatformDep

router = APIRouter(prefix="/api", tags=["auth"])

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")
MIN_PASSWORD = 8
MAX_PASSWORD = 1024  # argon2 hashes any length; a bound keeps a login from being a CPU sink
LOGIN_FAILED = "invalid email or password"

ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "Wrong email or password (the same message for both)"},
    409: {"description": "An account with this email exists already"},
    422: {"description": "Malformed email, password shorter than 8 characters, or missing field"},
}


def normalise_email(value: str) -> str:
    email = value.strip().lower()
    if len(email) > 254 or not EMAIL.match(email):
        raise ValueError(f"not a valid email address: {value!r}")
    return email


class UserSignup(BaseModel):
    email: str = Field(
        description="Becomes the login name; compared case-insensitively", examples=["ana@example.org"]
    )
    password: str = Field(
        min_length=MIN_PASSWORD, max_length=MAX_PASSWORD, description=f"At least {MIN_PASSWORD} characters"
    )
    name: str = Field(min_length=1, max_length=200, description="Display name", examples=["Ana Lima"])

    @field_validator("email")
    @classmethod
    def _valid_email(cls, value: str) -> str:
        return normalise_email(value)

    @field_validator("name")
    @classmethod
    def _strip_name(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("name must not be blank")
        return value.strip()


class UserLogin(BaseModel):
    email: str = Field(max_length=320, examples=["ana@example.org"])
    password: str = Field(max_length=MAX_PASSWORD)


class UserPublic(BaseModel):
    id: str = Field(description="Stable user id (UUID4); the `sub` claim of the JWT")
    email: str
    name: str
    role: Literal["user", "admin"]

    @classmethod
    def of(cls, user: User) -> UserPublic:
        return cls(id=user.id, email=user.username, name=user.full_name, role=user.role)


class SignupResponse(BaseModel):
    message: str
    user: UserPublic


class Token(BaseModel):
    access_token: str = Field(
        description="Send as `Authorization: Bearer <token>`, or `?token=` on WS /api/chat"
    )
    token_type: Literal["bearer"] = "bearer"
    expires_at: datetime = Field(description="When the token stops being accepted (UTC)")
    user: UserPublic


@cache
def _dummy_hash() -> str:
    return hash_password(secrets.token_urlsafe(16))


@router.post(
    "/signup",
    response_model=SignupResponse,
    status_code=status.HTTP_201_CREATED,
    summary="Create an account",
    description="Registers a user with the `user` role. Sign in with `POST /api/login` afterwards.",
    responses={k: ERRORS[k] for k in (409, 422)},
)
def signup(body: UserSignup, platform: PlatformDep) -> SignupResponse:
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
    return SignupResponse(message="User created successfully", user=UserPublic.of(user))


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
    return Token(access_token=token, expires_at=expires, user=UserPublic.of(user))
