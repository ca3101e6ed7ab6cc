"""Request and response bodies of API document 04 (accounts, documents, metrics).

The JSON field names are the document's. The two request bodies keep the names the document gives
them (``UserSignup``, ``UserLogin``); the rest follow the full-stack FastAPI template
(``XPublic`` for what is sent back). A signed-in account is ``AccountPublic`` here, so it is not
confused with API 05's ``UserPublic`` (another shape: ``full_name``, ``is_active``).
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field, field_validator

from ragplatform.client.models import TopQuestionPublic
from ragplatform.content.base import DocumentStatus, User
from ragserve.health import HealthPublic

__all__ = [
    "AccountPublic",
    "ApiHealthPublic",
    "DayMetricsPublic",
    "DocumentDeletedPublic",
    "DocumentPublic",
    "MetricsPublic",
    "RedisStatusPublic",
    "SessionIdPublic",
    "SessionMetricsPublic",
    "SignupPublic",
    "Token",
    "TokensPublic",
    "TopQuestionPublic",
    "UploadPublic",
    "UserLogin",
    "UserSignup",
]

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")
MIN_PASSWORD = 8
MAX_PASSWORD = 1024  # argon2 hashes any length; a bound keeps a login from being a CPU sink


def normalise_email(value: str) -> str:
    email = value.strip().lower()
    if len(email) > 254 or not EMAIL.match(email):
        raise ValueError(f"not a valid email address: {value!r}")
    return email


# -- accounts -----------------------------------------------------------------------


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


class AccountPublic(BaseModel):
    id: str = Field(description="Stable user id (UUID4); the `sub` claim of the JWT")
    email: str
    name: str
    role: Literal["user", "admin"]

    @classmethod
    def of(cls, user: User) -> AccountPublic:
        return cls(id=user.id, email=user.username, name=user.full_name, role=user.role)


class SignupPublic(BaseModel):
    message: str
    user: AccountPublic


class Token(BaseModel):
    access_token: str = Field(
        description="Send as `Authorization: Bearer <token>`, or `?token=` on WS /api/chat"
    )
    token_type: Literal["bearer"] = "bearer"
    expires_at: datetime = Field(description="When the token stops being accepted (UTC)")
    user: AccountPublic


# -- chat ---------------------------------------------------------------------------


class SessionIdPublic(BaseModel):
    session_id: str = Field(description="A fresh UUID4 to pass as `session_id` to WS /api/chat")


# -- documents ----------------------------------------------------------------------


class DocumentPublic(BaseModel):
    id: str
    filename: str
    content_type: str
    size: int = Field(description="bytes")
    status: DocumentStatus = Field(description="uploaded → parsed (searchable) or failed (see `error`)")
    chunks: int = Field(description="Passages indexed from the file")
    error: str | None = None
    created_at: datetime
    url: str = Field(description="Download URL of the stored file (needs the same bearer token)")


class UploadPublic(BaseModel):
    url: str = Field(
        description=(
            "Public URL of the uploaded file, as API document 04 specifies: a signed link that works "
            "without the bearer token and expires after DOCUMENTS__LINK_TTL_S seconds (an hour by "
            "default); whoever holds it may download the file until then. `document.url` is the "
            "lasting download URL, which needs the owner's token."
        )
    )
    document: DocumentPublic


class DocumentDeletedPublic(BaseModel):
    message: str
    id: str


# -- metrics ------------------------------------------------------------------------


class TokensPublic(BaseModel):
    prompt: int
    completion: int
    total: int


class DayMetricsPublic(BaseModel):
    day: date
    questions: int
    unanswered: int
    latency_p50_ms: float | None
    latency_p95_ms: float | None


class MetricsPublic(BaseModel):
    scope: Literal["global", "user", "session"] = Field(
        description="global: every user (admins); user: the caller's own questions; session: one session"
    )
    user_id: str | None = Field(description="Whose questions are counted (null for global)")
    since: datetime | None
    until: datetime | None
    questions: int = Field(description="Questions answered in the period")
    unanswered: int = Field(description="Questions answered with 'I don't know' (nothing relevant found)")
    unanswered_rate: float = Field(description="unanswered / questions, 0 when there are none")
    latency_p50_ms: float | None = Field(description="Median answer latency (null without questions)")
    latency_p95_ms: float | None
    tokens: TokensPublic = Field(description="Tokens the language model read (prompt) and wrote (completion)")
    first_at: datetime | None = Field(description="First question in the period")
    last_at: datetime | None
    per_day: list[DayMetricsPublic] = Field(description="One entry per UTC day with questions, oldest first")
    top_questions: list[TopQuestionPublic] = Field(
        default_factory=list, description="Most asked questions (global scope only)"
    )


class SessionMetricsPublic(MetricsPublic):
    session_id: str
    messages: int = Field(description="Messages stored in the session (questions and answers)")
    title: str
    created_at: datetime
    updated_at: datetime


class RedisStatusPublic(BaseModel):
    configured: bool
    status: str = Field(description="healthy | unavailable | not configured")
    detail: str = ""


class ApiHealthPublic(HealthPublic):
    redis: RedisStatusPublic = Field(
        description="Redis is optional: chat history lives in the session store whether or not it is set"
    )
