"""Admin notifications ("I don't know" answers) fanned out to WebSocket subscribers
(``WS /notify`` of API 01, ``/api/ws/notifications`` of API 02).

Answers are produced in worker threads; ``publish_threadsafe`` hands the message
to the event loop, which copies it into every subscriber's queue.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from typing import Any

from ragplatform.answering.service import Answer
from ragplatform.errors import NotFound
from ragplatform.factory import Platform

log = logging.getLogger(__name__)

QUEUE_SIZE = 100


class NotificationHub:
    def __init__(self) -> None:
        self._subscribers: set[asyncio.Queue[dict[str, Any]]] = set()
        self._loop: asyncio.AbstractEventLoop | None = None

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop

    @property
    def connections(self) -> int:
        return len(self._subscribers)

    def subscribe(self) -> asyncio.Queue[dict[str, Any]]:
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(QUEUE_SIZE)
        self._subscribers.add(queue)
        return queue

    def unsubscribe(self, queue: asyncio.Queue[dict[str, Any]]) -> None:
        self._subscribers.discard(queue)

    def publish(self, message: dict[str, Any]) -> None:
        """On the event loop: deliver to every subscriber (a full queue drops its oldest message)."""
        for queue in list(self._subscribers):
            if queue.full():
                queue.get_nowait()
            queue.put_nowait(message)

    def publish_threadsafe(self, message: dict[str, Any]) -> None:
        if self._loop is None or self._loop.is_closed():
            log.debug("notification dropped: hub not bound to a running loop")
            return
        self._loop.call_soon_threadsafe(self.publish, message)


def new_session_notification(
    platform: Platform, question: str, answer: Answer, user_id: str
) -> dict[str, Any]:
    """The ``new_session`` message of API 01, built from the stored session."""
    meta: dict[str, Any] = {}
    created_at = ""
    try:
        session = platform.sessions.get_session(answer.session_id)
        meta, created_at = session.metadata, session.created_at.isoformat()
    except NotFound:
        pass
    return {
        "type": "new_session",
        "timestamp": datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S"),
        "data": {
            "session_id": answer.session_id,
            "factor": meta.get("factor", "user"),
            "action": meta.get("action", "asking_freely"),
            "created_at": created_at,
            "first_name": meta.get("first_name", ""),
            "last_name": meta.get("last_name", ""),
            "message": question,
            "response": answer.answer,
            "user_id": user_id,
            "username": meta.get("username", ""),
        },
    }
