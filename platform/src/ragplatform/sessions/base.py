"""SessionStore: chat sessions and their messages, shared by every API dialect."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Literal, Protocol, runtime_checkable

from pydantic import BaseModel, Field

MessageRole = Literal["user", "assistant", "system"]


class Session(BaseModel):
    id: str  # UUID4 unless the caller brought its own id (API 01 lets clients name sessions)
    user_id: str
    title: str = ""
    created_at: datetime  # timezone-aware UTC
    updated_at: datetime
    metadata: dict[str, Any] = Field(default_factory=dict)


class Message(BaseModel):
    """One turn. Assistant messages carry ``metadata`` such as ``citations``,
    ``unanswered`` (bool), ``latency_ms``, ``tokens``, ``index_version``, ``generator``."""

    id: str
    session_id: str
    role: MessageRole
    content: str
    created_at: datetime
    metadata: dict[str, Any] = Field(default_factory=dict)


class SessionSummary(Session):
    """A session with its counts, as admins list and search them."""

    message_count: int = 0
    unanswered_count: int = 0  # assistant messages with ``metadata.unanswered``


class SessionSearchResult(BaseModel):
    sessions: list[SessionSummary]
    total: int  # matches over every page


@runtime_checkable
class SessionStore(Protocol):
    """Sessions and messages. Unknown ids raise ``NotFound``; a duplicate session id raises ``Conflict``."""

    def create_session(
        self,
        user_id: str,
        title: str = "",
        metadata: dict[str, Any] | None = None,
        session_id: str | None = None,
    ) -> Session: ...
    def get_session(self, session_id: str) -> Session: ...
    def list_sessions(self, user_id: str | None = None, skip: int = 0, limit: int = 100) -> list[Session]:
        """Newest (by ``updated_at``) first."""
        ...

    def count_sessions(self, user_id: str | None = None) -> int: ...
    def update_session(
        self, session_id: str, title: str | None = None, metadata: dict[str, Any] | None = None
    ) -> Session:
        """``metadata`` is merged into the stored metadata (shallow)."""
        ...

    def delete_session(self, session_id: str) -> None:
        """Deletes the session and all its messages."""
        ...

    def add_message(
        self, session_id: str, role: MessageRole, content: str, metadata: dict[str, Any] | None = None
    ) -> Message:
        """Appends a message and bumps the session's ``updated_at``."""
        ...

    def get_message(self, message_id: str) -> Message: ...
    def update_message(
        self, message_id: str, content: str | None = None, metadata: dict[str, Any] | None = None
    ) -> Message: ...
    def list_messages(self, session_id: str, limit: int | None = None) -> list[Message]:
        """Oldest first; with ``limit``, the last ``limit`` messages."""
        ...

    def count_messages(self, session_id: str) -> int:
        """Messages stored in the session. Raises NotFound for an unknown session."""
        ...

    def history(self, user_id: str, n: int = 3) -> list[tuple[str, str]]:
        """The user's last ``n`` (question, answer) pairs across sessions, oldest first."""
        ...

    def search_messages(
        self,
        user_id: str | None = None,
        text: str | None = None,
        role: MessageRole | None = None,
        unanswered: bool | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int = 100,
        resolved: bool | None = None,
        skip: int = 0,
    ) -> list[Message]:
        """Newest first. ``text`` is a case-insensitive substring match, never a query language.
        ``resolved`` reads ``metadata.resolved`` (set when an admin handled an unanswered question):
        True keeps messages where it is set and not null, False the others."""
        ...

    def search_sessions(
        self,
        user_id: str | None = None,
        text: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        skip: int = 0,
        limit: int = 50,
    ) -> SessionSearchResult:
        """Sessions newest (by ``updated_at``) first, with message and unanswered counts.

        ``text``: case-insensitive substring of the title or of any message; ``since``/``until``
        (inclusive, naive = UTC): sessions active in that window (``updated_at >= since`` and
        ``created_at <= until``). Raises InvalidInput for a bad page or a non-string filter.
        """
        ...

    def count_active_sessions(
        self, windows: Sequence[tuple[datetime, datetime]], user_id: str | None = None
    ) -> list[int]:
        """For each ``[start, end)`` window (naive = UTC), how many sessions (``user_id``'s, or
        everyone's) have at least one message created in it; in the order of ``windows``.
        Analytics asks this for a period, the one before and each day or week of a trend.
        Raises InvalidInput for a window that ends before it starts."""
        ...

    def health(self) -> dict[str, Any]: ...
