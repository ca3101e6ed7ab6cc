"""Notifications stored per user in PostgreSQL (table ``notification``).

Whoever raises one (the unanswered-question hook, later workflows, leads and payments) calls
``create``; every function in ``on_created`` then runs with the stored notification, which is how
``ragserve`` pushes it to WebSocket listeners without this package knowing about the web layer.
A user only ever reads their own: another user's notification is ``NotFound``, as if it did not exist.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from psycopg.types.json import Jsonb
from psycopg_pool import ConnectionPool
from pydantic import BaseModel, Field

from ragplatform.content.postgres import check_page
from ragplatform.db.pool import connection
from ragplatform.errors import InvalidInput, NotFound
from ragplatform.events import PlatformEvent

log = logging.getLogger(__name__)

Severity = Literal["info", "warning", "error", "success"]
SEVERITIES: tuple[Severity, ...] = ("info", "warning", "error", "success")
TITLE_LIMIT = 200


class Notification(BaseModel):
    id: str
    user_id: str
    notification_type: str
    severity: Severity
    title: str
    message: str
    read: bool
    metadata: dict[str, Any] = Field(default_factory=dict)
    action_url: str | None = None
    created_at: datetime


NotificationHook = Callable[[Notification], None]


@dataclass(frozen=True)
class NotificationPage:
    """One page of a user's notifications, with the counts a client's badge needs."""

    items: list[Notification]
    total: int  # matching the filter
    unread: int


def notification_event(notification: Notification) -> PlatformEvent:
    """``notification_created`` for ``user:<owner>`` on the notifications channel; its envelope
    carries the short form the document shows (``id``, ``severity``, ``title``, ``message``,
    ``action_url``)."""
    return PlatformEvent(
        channel="notifications",
        type="notification_created",
        data={
            "notification_id": notification.id,
            "user_id": notification.user_id,
            "notification_type": notification.notification_type,
            "severity": notification.severity,
            "title": notification.title,
            "message": notification.message,
            "created_at": notification.created_at.isoformat(),
            "read": notification.read,
            "metadata": notification.metadata,
        },
        owner=notification.user_id,
        envelope={
            "id": notification.id,
            "severity": notification.severity,
            "title": notification.title,
            "message": notification.message,
            "action_url": notification.action_url,
        },
    )


def _notification(row: dict[str, Any]) -> Notification:
    return Notification.model_validate({**row, "id": str(row["id"])})


class NotificationStore:
    def __init__(self, pool: ConnectionPool[Any], on_created: list[NotificationHook] | None = None) -> None:
        self._pool = pool
        self.on_created: list[NotificationHook] = on_created if on_created is not None else []

    def create(
        self,
        user_id: str,
        notification_type: str,
        title: str,
        message: str = "",
        *,
        severity: Severity = "info",
        metadata: dict[str, Any] | None = None,
        action_url: str | None = None,
    ) -> Notification:
        """Stores one notification for ``user_id`` and runs the ``on_created`` hooks.
        Raises InvalidInput (unknown severity, empty type or title), BackendUnavailable."""
        return self.create_many([user_id], notification_type, title, message, severity=severity,
                                metadata=metadata, action_url=action_url)[0]  # fmt: skip

    def create_many(
        self,
        user_ids: Sequence[str],
        notification_type: str,
        title: str,
        message: str = "",
        *,
        severity: Severity = "info",
        metadata: dict[str, Any] | None = None,
        action_url: str | None = None,
    ) -> list[Notification]:
        """The same notification for each of ``user_ids``, in one statement; runs the hooks for each.
        Raises InvalidInput, BackendUnavailable."""
        _check(notification_type, title, severity)
        if not user_ids:
            return []
        ids = [str(uuid.uuid4()) for _ in user_ids]
        with connection(self._pool) as conn:
            rows = conn.execute(
                "INSERT INTO notification (id, user_id, notification_type, severity, title, message,"
                " metadata, action_url)"
                " SELECT i, u, %s, %s, %s, %s, %s, %s FROM unnest(%s::uuid[], %s::text[]) AS t(i, u)"
                " RETURNING *",
                [
                    notification_type,
                    severity,
                    title,
                    message,
                    Jsonb(metadata or {}),
                    action_url,
                    ids,
                    list(user_ids),
                ],
            ).fetchall()
        created = [_notification(r) for r in rows]
        for notification in created:
            self._run_hooks(notification)
        return created

    def list(
        self, user_id: str, unread_only: bool = False, skip: int = 0, limit: int = 50
    ) -> list[Notification]:
        """``user_id``'s notifications, newest first. Raises InvalidInput (paging), BackendUnavailable."""
        check_page(skip, limit)
        with connection(self._pool) as conn:
            rows = conn.execute(
                "SELECT * FROM notification WHERE user_id = %s AND (NOT %s OR NOT read)"
                " ORDER BY created_at DESC, id OFFSET %s LIMIT %s",
                [user_id, unread_only, skip, limit],
            ).fetchall()
        return [_notification(r) for r in rows]

    def page(
        self, user_id: str, unread_only: bool = False, skip: int = 0, limit: int = 50
    ) -> NotificationPage:
        """``list`` with the total that matches and the unread count.
        Raises InvalidInput (paging), BackendUnavailable."""
        items = self.list(user_id, unread_only, skip, limit)
        with connection(self._pool) as conn:
            row = conn.execute(
                "SELECT count(*) AS total, count(*) FILTER (WHERE NOT read) AS unread"
                " FROM notification WHERE user_id = %s",
                [user_id],
            ).fetchone()
        total, unread = (int(row["total"]), int(row["unread"])) if row else (0, 0)
        return NotificationPage(items, unread if unread_only else total, unread)

    def count(self, user_id: str, unread_only: bool = False) -> int:
        with connection(self._pool) as conn:
            row = conn.execute(
                "SELECT count(*) AS n FROM notification WHERE user_id = %s AND (NOT %s OR NOT read)",
                [user_id, unread_only],
            ).fetchone()
        return int(row["n"]) if row else 0

    def count_unread(self, user_id: str) -> int:
        return self.count(user_id, unread_only=True)

    def get(self, notification_id: str, user_id: str) -> Notification:
        """Raises NotFound when it does not exist or belongs to another user."""
        with connection(self._pool) as conn:
            row = conn.execute(
                "SELECT * FROM notification WHERE id = %s AND user_id = %s", [_uuid(notification_id), user_id]
            ).fetchone()
        if row is None:
            raise NotFound(f"notification {notification_id} not found")
        return _notification(row)

    def mark_read(self, notification_id: str, user_id: str) -> Notification:
        """Marks it read (idempotent). Raises NotFound as ``get``."""
        with connection(self._pool) as conn:
            row = conn.execute(
                "UPDATE notification SET read = true WHERE id = %s AND user_id = %s RETURNING *",
                [_uuid(notification_id), user_id],
            ).fetchone()
        if row is None:
            raise NotFound(f"notification {notification_id} not found")
        return _notification(row)

    def mark_all_read(self, user_id: str) -> int:
        """Marks every unread notification of ``user_id`` read; returns how many changed."""
        with connection(self._pool) as conn:
            cur = conn.execute(
                "UPDATE notification SET read = true WHERE user_id = %s AND NOT read", [user_id]
            )
            return cur.rowcount

    def _run_hooks(self, notification: Notification) -> None:
        for hook in list(self.on_created):
            try:
                hook(notification)
            except Exception:  # a listener's failure never loses the stored notification
                log.warning("notification hook %r failed", hook, exc_info=True)


def _check(notification_type: str, title: str, severity: str) -> None:
    if severity not in SEVERITIES:
        raise InvalidInput(
            f"severity must be one of {', '.join(SEVERITIES)}, got {severity!r}",
            field="severity",
            value=severity,
        )
    if not notification_type.strip():
        raise InvalidInput(
            "notification_type must not be empty", field="notification_type", value=notification_type
        )
    if not title.strip() or len(title) > TITLE_LIMIT:
        raise InvalidInput(
            f"title must be 1 to {TITLE_LIMIT} characters, got {len(title)}",
            field="title",
            value=title[:TITLE_LIMIT],
        )


def _uuid(notification_id: str) -> uuid.UUID:
    """A malformed id names nothing: NotFound, never a database error."""
    try:
        return uuid.UUID(notification_id)
    except ValueError as exc:
        raise NotFound(f"notification {notification_id} not found") from exc
