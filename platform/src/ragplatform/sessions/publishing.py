"""A SessionStore that tells the platform's event bus about conversations as they change:
``message_created`` after every stored message, ``conversation_deleted`` after a deleted session,
on API 02's ``analytics`` channel.

The factory wraps whichever store it built (PostgreSQL or MongoDB), so every dialect's writes are
told, whoever made them: the ask paths, API 01's client-made exchanges, Socket.IO rooms, deletes
through API 03 or API 05. An event belongs to the session's account; an open (anonymous) session's
events go to admins only. Publishing never fails the write (``EventBus.publish`` never raises).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from ragplatform.errors import NotFound
from ragplatform.events import EventBus, PlatformEvent, now_iso
from ragplatform.sessions.base import (
    Message,
    MessageRole,
    Session,
    SessionSearchResult,
    SessionStore,
)
from ragplatform.sessions.owners import is_open_owner


def event_owner(session: Session) -> str | None:
    """Who hears of ``session`` besides admins: its account; nobody for an open session."""
    return None if is_open_owner(session.user_id) else session.user_id


def message_created_event(session: Session, message: Message) -> PlatformEvent:
    return PlatformEvent(
        channel="analytics",
        type="message_created",
        data={
            "conversation_id": session.id,
            "message_id": message.id,
            "user_id": session.user_id,
            "created_at": message.created_at.isoformat(),
        },
        owner=event_owner(session),
    )


def conversation_deleted_event(session: Session, deleted_at: str) -> PlatformEvent:
    return PlatformEvent(
        channel="analytics",
        type="conversation_deleted",
        data={"conversation_id": session.id, "user_id": session.user_id, "deleted_at": deleted_at},
        owner=event_owner(session),
    )


class PublishingSessionStore:
    """``store`` with every call passed through; ``add_message`` and ``delete_session`` also publish
    (after they succeeded) on ``events``."""

    def __init__(self, store: SessionStore, events: EventBus) -> None:
        self.store = store
        self.events = events

    def add_message(
        self, session_id: str, role: MessageRole, content: str, metadata: dict[str, Any] | None = None
    ) -> Message:
        message = self.store.add_message(session_id, role, content, metadata)
        try:
            session = self.store.get_session(session_id)
        except NotFound:  # deleted in between: nobody is left to tell
            return message
        self.events.publish(message_created_event(session, message))
        return message

    def delete_session(self, session_id: str) -> None:
        try:
            session: Session | None = self.store.get_session(session_id)
        except NotFound:
            session = None
        self.store.delete_session(session_id)  # raises NotFound itself, in the store's words
        if session is not None:
            self.events.publish(conversation_deleted_event(session, now_iso()))

    # -- passed through ------------------------------------------------------------------------

    def create_session(
        self,
        user_id: str,
        title: str = "",
        metadata: dict[str, Any] | None = None,
        session_id: str | None = None,
    ) -> Session:
        return self.store.create_session(user_id, title, metadata, session_id)

    def get_session(self, session_id: str) -> Session:
        return self.store.get_session(session_id)

    def list_sessions(self, user_id: str | None = None, skip: int = 0, limit: int = 100) -> list[Session]:
        return self.store.list_sessions(user_id, skip, limit)

    def count_sessions(self, user_id: str | None = None) -> int:
        return self.store.count_sessions(user_id)

    def update_session(
        self, session_id: str, title: str | None = None, metadata: dict[str, Any] | None = None
    ) -> Session:
        return self.store.update_session(session_id, title, metadata)

    def get_message(self, message_id: str) -> Message:
        return self.store.get_message(message_id)

    def update_message(
        self, message_id: str, content: str | None = None, metadata: dict[str, Any] | None = None
    ) -> Message:
        return self.store.update_message(message_id, content, metadata)

    def list_messages(self, session_id: str, limit: int | None = None) -> list[Message]:
        return self.store.list_messages(session_id, limit)

    def count_messages(self, session_id: str) -> int:
        return self.store.count_messages(session_id)

    def history(self, user_id: str, n: int = 3) -> list[tuple[str, str]]:
        return self.store.history(user_id, n)

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
        return self.store.search_messages(
            user_id, text, role, unanswered, since, until, limit, resolved, skip
        )

    def search_sessions(
        self,
        user_id: str | None = None,
        text: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        skip: int = 0,
        limit: int = 50,
    ) -> SessionSearchResult:
        return self.store.search_sessions(user_id, text, since, until, skip, limit)

    def count_active_sessions(
        self, windows: Sequence[tuple[datetime, datetime]], user_id: str | None = None
    ) -> list[int]:
        return self.store.count_active_sessions(windows, user_id)

    def health(self) -> dict[str, Any]:
        return self.store.health()
