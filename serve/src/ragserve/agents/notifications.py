"""The caller's notifications (API 02, "Notifications (overview)"): list (``unread=true`` keeps the
unread ones), fetch, mark one or all read. A bearer token is required; another user's notification
answers 404, as if it did not exist. New ones are also pushed on ``WS /api/ws/notifications``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from ragplatform.notifications.store import Notification
from ragserve.agents.schemas import NotificationPublic, NotificationsPublic, NotificationsReadPublic
from ragserve.auth import CurrentUser
from ragserve.deps import PlatformDep
from ragserve.params import Limit, Offset

router = APIRouter(prefix="/api/notifications", tags=["notifications (API 02)"])

ERRORS: dict[int | str, dict[str, str]] = {401: {"description": "no or an invalid bearer token"}}
NOT_FOUND: dict[int | str, dict[str, str]] = {
    **ERRORS,
    404: {"description": "no such notification for the caller"},
}


def public(notification: Notification) -> NotificationPublic:
    return NotificationPublic.model_validate(notification.model_dump())


@router.get("", response_model=NotificationsPublic, summary="The caller's notifications, newest first",
            responses=ERRORS)  # fmt: skip
def list_notifications(
    platform: PlatformDep,
    user: CurrentUser,
    unread: Annotated[bool, Query(description="only the unread ones")] = False,
    skip: Offset = 0,
    limit: Limit = 50,
) -> NotificationsPublic:
    page = platform.notifications.page(user.id, unread_only=unread, skip=skip, limit=limit)
    return NotificationsPublic(data=[public(n) for n in page.items], count=page.total, unread=page.unread)


@router.post("/read-all", response_model=NotificationsReadPublic, summary="Mark every notification read",
             responses=ERRORS)  # fmt: skip
def mark_all_read(platform: PlatformDep, user: CurrentUser) -> NotificationsReadPublic:
    return NotificationsReadPublic(updated=platform.notifications.mark_all_read(user.id))


@router.get("/{notification_id}", response_model=NotificationPublic, summary="One notification",
            responses=NOT_FOUND)  # fmt: skip
def get_notification(notification_id: str, platform: PlatformDep, user: CurrentUser) -> NotificationPublic:
    return public(platform.notifications.get(notification_id, user.id))


@router.post("/{notification_id}/read", response_model=NotificationPublic, summary="Mark one notification read",
             responses=NOT_FOUND)  # fmt: skip
def mark_read(notification_id: str, platform: PlatformDep, user: CurrentUser) -> NotificationPublic:
    return public(platform.notifications.mark_read(notification_id, user.id))
