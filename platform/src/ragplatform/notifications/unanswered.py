"""Admins hear about questions the assistant could not answer ("I don't know"): an
``AnswerService.on_unanswered`` hook that stores one warning per active admin account."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ragplatform.content.base import ContentStore
from ragplatform.notifications.store import NotificationStore
from ragplatform.sessions.owners import client_user_id

if TYPE_CHECKING:
    from ragplatform.answering.service import Answer

NOTIFICATION_TYPE = "unanswered_question"
PREVIEW = 160


class UnansweredNotifier:
    """Called in the answering thread with (question, answer, user_id): one query for the admins'
    ids, one insert for all of their notifications."""

    def __init__(self, content: ContentStore, notifications: NotificationStore) -> None:
        self._content = content
        self._notifications = notifications

    def __call__(self, question: str, answer: Answer, user_id: str) -> None:
        admins = self._content.user_ids_with_role("admin")
        preview = question if len(question) <= PREVIEW else question[: PREVIEW - 1] + "…"
        self._notifications.create_many(
            admins,
            NOTIFICATION_TYPE,
            "A question could not be answered",
            preview,
            severity="warning",
            metadata={
                "question": question,
                "session_id": answer.session_id,
                "asked_by": client_user_id(user_id),
            },
            action_url=f"/api/admin/sessions/{answer.session_id}" if answer.session_id else None,
        )
