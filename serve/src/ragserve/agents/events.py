"""The server events of API 02's channels, in both forms the document shows: the typed event
(``notification_created`` with its ``data``) and the envelope
``{"type": "event", "channel", "topic", "data", "ts"}``. Both go out together, typed first."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from ragplatform.notifications.store import Notification
from ragserve.notify import TopicHub, TopicMessage

NOTIFICATIONS = "notifications"


def now_iso() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


def user_topic(user_id: str) -> str:
    return f"user:{user_id}"


def envelope(channel: str, topic: str, data: Any) -> dict[str, Any]:
    return {"type": "event", "channel": channel, "topic": topic, "data": data, "ts": now_iso()}


def notification_events(notification: Notification) -> TopicMessage:
    """``notification_created`` and its envelope, for listeners of ``user:<owner>``."""
    topic = user_topic(notification.user_id)
    typed = {
        "type": "notification_created",
        "data": {
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
    }
    data = {
        "id": notification.id,
        "severity": notification.severity,
        "title": notification.title,
        "message": notification.message,
        "action_url": notification.action_url,
    }
    return TopicMessage(topic=topic, messages=[typed, envelope(NOTIFICATIONS, topic, data)])


def notification_publisher(hub: TopicHub) -> Callable[[Notification], None]:
    """A ``NotificationStore.on_created`` hook that pushes each new notification through ``hub``
    (from whichever thread stored it)."""

    def publish(notification: Notification) -> None:
        hub.publish_threadsafe(notification_events(notification))

    return publish
