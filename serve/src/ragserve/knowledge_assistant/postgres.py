"""``/postgres/*`` (API 01): FAQ items, emergency contacts and events (full CRUD each).

Reads are open; writes need an admin token (``ContentWriter``) unless
``AUTH__OPEN_CONTENT_WRITES`` lets legacy clients in. Whatever the engine, the
paths keep API 01's names.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, TypeVar

from fastapi import APIRouter, Path, Query, status

from ragplatform.content.base import (
    EmergencyContact,
    EmergencyContactCreate,
    EmergencyContactUpdate,
    Event,
    EventCreate,
    EventUpdate,
    FaqCreate,
    FaqItem,
    FaqUpdate,
)
from ragplatform.errors import NotFound
from ragserve.auth import ContentWriter
from ragserve.deps import PlatformDep
from ragserve.knowledge_assistant.schemas import DatabaseHealthPublic, DeletedPublic

router = APIRouter(prefix="/postgres", tags=["content (API 01)"])

MAX_PAGE = 1000
Skip = Annotated[int, Query(ge=0, description="items to skip")]
Limit = Annotated[int, Query(ge=1, le=MAX_PAGE, description=f"items to return, 1..{MAX_PAGE}")]
ActiveOnly = Annotated[bool, Query(description="only items with is_active true")]
MAX_ID = 2**63 - 1
ItemId = Annotated[int, Path(ge=0, le=MAX_ID, description="the item's id")]
WRITE_RESPONSES: dict[int | str, dict[str, str]] = {
    401: {"description": "no or invalid token (content writes need an admin)"},
    403: {"description": "the token's user is not an admin"},
}

T = TypeVar("T")


def found(what: str, load: Callable[[], T]) -> T:
    """Runs ``load``; an unknown id answers 404 with API 01's wording (``FAQ item not found``)."""
    try:
        return load()
    except NotFound:
        raise NotFound(f"{what} not found") from None


# -- FAQ ----------------------------------------------------------------------


@router.get("/faq", response_model=list[FaqItem], summary="FAQ items, oldest first")
def list_faqs(
    platform: PlatformDep, skip: Skip = 0, limit: Limit = 100, active_only: ActiveOnly = False
) -> list[FaqItem]:
    return platform.content.list_faqs(skip=skip, limit=limit, active_only=active_only)


@router.post(
    "/faq",
    response_model=FaqItem,
    status_code=status.HTTP_201_CREATED,
    summary="Create an FAQ item",
    responses=WRITE_RESPONSES,
)
def create_faq(body: FaqCreate, platform: PlatformDep, _: ContentWriter) -> FaqItem:
    return platform.content.create_faq(body)


@router.get("/faq/{faq_id}", response_model=FaqItem, summary="One FAQ item")
def get_faq(faq_id: ItemId, platform: PlatformDep) -> FaqItem:
    return found("FAQ item", lambda: platform.content.get_faq(faq_id))


@router.put(
    "/faq/{faq_id}",
    response_model=FaqItem,
    summary="Update an FAQ item (only the fields sent)",
    responses=WRITE_RESPONSES,
)
def update_faq(faq_id: ItemId, body: FaqUpdate, platform: PlatformDep, _: ContentWriter) -> FaqItem:
    return found("FAQ item", lambda: platform.content.update_faq(faq_id, body))


@router.delete(
    "/faq/{faq_id}", response_model=DeletedPublic, summary="Delete an FAQ item", responses=WRITE_RESPONSES
)
def delete_faq(faq_id: ItemId, platform: PlatformDep, _: ContentWriter) -> DeletedPublic:
    found("FAQ item", lambda: platform.content.delete_faq(faq_id))
    return DeletedPublic(status="success", message="FAQ item deleted successfully")


# -- emergency contacts -------------------------------------------------------


@router.get("/emergency", response_model=list[EmergencyContact], summary="Emergency contacts, oldest first")
def list_contacts(
    platform: PlatformDep, skip: Skip = 0, limit: Limit = 100, active_only: ActiveOnly = False
) -> list[EmergencyContact]:
    return platform.content.list_contacts(skip=skip, limit=limit, active_only=active_only)


@router.post(
    "/emergency",
    response_model=EmergencyContact,
    status_code=status.HTTP_201_CREATED,
    summary="Create an emergency contact",
    responses=WRITE_RESPONSES,
)
def create_contact(body: EmergencyContactCreate, platform: PlatformDep, _: ContentWriter) -> EmergencyContact:
    return platform.content.create_contact(body)


@router.get("/emergency/{emergency_id}", response_model=EmergencyContact, summary="One emergency contact")
def get_contact(emergency_id: ItemId, platform: PlatformDep) -> EmergencyContact:
    return found("Emergency contact", lambda: platform.content.get_contact(emergency_id))


@router.put(
    "/emergency/{emergency_id}",
    response_model=EmergencyContact,
    summary="Update an emergency contact (only the fields sent)",
    responses=WRITE_RESPONSES,
)
def update_contact(
    emergency_id: ItemId, body: EmergencyContactUpdate, platform: PlatformDep, _: ContentWriter
) -> EmergencyContact:
    return found("Emergency contact", lambda: platform.content.update_contact(emergency_id, body))


@router.delete(
    "/emergency/{emergency_id}",
    response_model=DeletedPublic,
    summary="Delete an emergency contact",
    responses=WRITE_RESPONSES,
)
def delete_contact(emergency_id: ItemId, platform: PlatformDep, _: ContentWriter) -> DeletedPublic:
    found("Emergency contact", lambda: platform.content.delete_contact(emergency_id))
    return DeletedPublic(status="success", message="Emergency contact deleted successfully")


# -- events -------------------------------------------------------------------


@router.get("/events", response_model=list[Event], summary="Events with their price lists, oldest first")
def list_events(
    platform: PlatformDep, skip: Skip = 0, limit: Limit = 100, active_only: ActiveOnly = False
) -> list[Event]:
    return platform.content.list_events(skip=skip, limit=limit, active_only=active_only)


@router.post(
    "/events",
    response_model=Event,
    status_code=status.HTTP_201_CREATED,
    summary="Create an event",
    responses=WRITE_RESPONSES,
)
def create_event(body: EventCreate, platform: PlatformDep, _: ContentWriter) -> Event:
    return platform.content.create_event(body)


@router.get("/events/{event_id}", response_model=Event, summary="One event")
def get_event(event_id: ItemId, platform: PlatformDep) -> Event:
    return found("Event", lambda: platform.content.get_event(event_id))


@router.put(
    "/events/{event_id}",
    response_model=Event,
    summary="Update an event (only the fields sent; a price list sent replaces the stored one)",
    responses=WRITE_RESPONSES,
)
def update_event(event_id: ItemId, body: EventUpdate, platform: PlatformDep, _: ContentWriter) -> Event:
    return found("Event", lambda: platform.content.update_event(event_id, body))


@router.delete(
    "/events/{event_id}", response_model=DeletedPublic, summary="Delete an event", responses=WRITE_RESPONSES
)
def delete_event(event_id: ItemId, platform: PlatformDep, _: ContentWriter) -> DeletedPublic:
    found("Event", lambda: platform.content.delete_event(event_id))
    return DeletedPublic(status="success", message="Event deleted successfully")


# -- health -------------------------------------------------------------------


@router.get(
    "/health",
    response_model=DatabaseHealthPublic,
    summary="Health of the content database",
    responses={503: {"description": "the database cannot be reached"}},
)
def database_health(platform: PlatformDep) -> DatabaseHealthPublic:
    info = platform.content.health()
    return DatabaseHealthPublic(
        status=str(info["status"]), version=str(info["version"]), tables=list(info["tables"])
    )
