"""Request and response bodies of API document 03 (sessions and SSE).

The JSON field names are the document's; the class names follow the full-stack FastAPI
template (``SessionCreate``, ``SessionPublic``, ``SessionsPublic``). The document's own data
models map to them as: ``SessionSummary`` → ``SessionPublic``, ``ChatSession`` →
``SessionWithMessagesPublic``, ``ChatMessage`` → ``SessionMessagePublic``.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field, field_validator

from ragplatform.client.models import Message
from ragserve.params import Question

__all__ = [
    "DEFAULT_TITLE",
    "AskRequest",
    "Message",
    "SessionCreate",
    "SessionCreatedPublic",
    "SessionMessagePublic",
    "SessionPublic",
    "SessionUpdate",
    "SessionWithMessagesPublic",
    "SessionsPublic",
]

DEFAULT_TITLE = "New Chat"
MAX_TITLE = 200


class SessionCreate(BaseModel):
    title: str = Field(default=DEFAULT_TITLE, min_length=1, max_length=MAX_TITLE)


class SessionUpdate(BaseModel):
    title: str = Field(min_length=1, max_length=MAX_TITLE)


class SessionCreatedPublic(BaseModel):
    """What ``POST /sessions`` answers, exactly the document's three fields."""

    session_id: str = Field(description="UUID4")
    title: str
    created_at: datetime = Field(description="ISO 8601 with timezone (UTC)")


class SessionPublic(SessionCreatedPublic):
    """The document's ``SessionSummary``."""

    updated_at: datetime
    message_count: int = Field(description="user and assistant messages in the session")


class SessionsPublic(BaseModel):
    sessions: list[SessionPublic] = Field(description="newest activity first")
    total: int = Field(description="how many sessions the caller has in all")


class SessionMessagePublic(BaseModel):
    """The document's ``ChatMessage``."""

    message_id: str = Field(description="UUID4")
    role: str = Field(description="user | assistant")
    content: str
    timestamp: datetime


class SessionWithMessagesPublic(SessionPublic):
    """The document's ``ChatSession`` (with ``message_count`` besides)."""

    messages: list[SessionMessagePublic] = Field(description="oldest first")


class AskRequest(BaseModel):
    question: Question

    @field_validator("question")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("question must not be only whitespace")
        if "\x00" in value:
            raise ValueError("question must not contain NUL (\\x00) characters")
        return value
