"""Chat sessions and the unanswered queue for admins (the console's Sessions page).

Every dialect stores its conversations in the one session store, so these routes see them
all: search by user, date and text, read a transcript with its citations, and handle the
questions the assistant could not answer by turning each into an FAQ item in one step.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query, status
from pydantic import ValidationError

from ragplatform.answering.unanswered import UnansweredQuestion, UnansweredQueue
from ragplatform.content.base import FaqItem
from ragplatform.errors import InvalidInput, NotFound
from ragplatform.sessions.base import Message
from ragplatform.sessions.owners import client_user_id
from ragserve.admin.schemas import (
    ADMIN_ERRORS,
    AdminSessionPublic,
    AdminSessionsPublic,
    CitationPublic,
    ResolveRequest,
    TranscriptMessagePublic,
    TranscriptPublic,
    UnansweredQuestionPublic,
    UnansweredQuestionsPublic,
)
from ragserve.auth import AdminUser
from ragserve.deps import PlatformDep
from ragserve.params import Limit, Offset, day_window
from ragserve.users import user_id_for, usernames

router = APIRouter(prefix="/api/admin", tags=["admin: sessions"])


def get_queue(platform: PlatformDep) -> UnansweredQueue:
    return UnansweredQueue(platform.sessions, platform.content)


Queue = Annotated[UnansweredQueue, Depends(get_queue)]


# -- sessions ---------------------------------------------------------------------------


@router.get(
    "/sessions",
    response_model=AdminSessionsPublic,
    summary="Search chat sessions by user, date and text",
    description=(
        "Sessions of every dialect, newest activity first, with message and unanswered counts. "
        "`user` is a username (an account) or the raw `user_id` an open dialect stored; `date_from` / "
        "`date_to` are UTC days, inclusive, and keep sessions active in that window; `text` is a "
        "case-insensitive substring of the title or of any message (never a pattern)."
    ),
    responses={**ADMIN_ERRORS, 422: {"description": "a limit out of range, or date_to before date_from"}},
)
def search_sessions(
    platform: PlatformDep,
    _: AdminUser,
    user: Annotated[str | None, Query(max_length=200, description="username or user_id")] = None,
    date_from: Annotated[date | None, Query(description="first UTC day, inclusive")] = None,
    date_to: Annotated[date | None, Query(description="last UTC day, inclusive")] = None,
    text: Annotated[str | None, Query(max_length=200, description="substring to look for")] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> AdminSessionsPublic:
    since, until = day_window(date_from, date_to)
    user_id = user_id_for(platform, user) if user and user.strip() else None
    found = platform.sessions.search_sessions(
        user_id=user_id, text=text or None, since=since, until=until, skip=offset, limit=limit
    )
    names = usernames(platform, (s.user_id for s in found.sessions))
    items = [
        AdminSessionPublic(
            id=s.id,
            user_id=client_user_id(s.user_id),
            username=names.get(s.user_id),
            title=s.title,
            created_at=s.created_at,
            updated_at=s.updated_at,
            message_count=s.message_count,
            unanswered_count=s.unanswered_count,
        )
        for s in found.sessions
    ]
    return AdminSessionsPublic(items=items, total=found.total, limit=limit, offset=offset)


def citations_of(message: Message) -> list[CitationPublic]:
    """The citations an answer was stored with; entries that are not citations are skipped."""
    raw = message.metadata.get("citations")
    out: list[CitationPublic] = []
    for entry in raw if isinstance(raw, list) else []:
        try:
            out.append(CitationPublic.model_validate(entry))
        except ValidationError:
            continue
    return out


def transcript_message(m: Message) -> TranscriptMessagePublic:
    meta = m.metadata
    latency = meta.get("latency_ms")
    source = meta.get("source")
    version = meta.get("index_version")
    return TranscriptMessagePublic(
        id=m.id,
        role=m.role,
        text=m.content,
        time=m.created_at,
        citations=citations_of(m),
        unanswered=m.role == "assistant" and meta.get("unanswered") is True,
        source=str(source) if source is not None else None,
        latency_ms=float(latency) if isinstance(latency, int | float) else None,
        index_version=str(version) if version is not None else None,
    )


@router.get(
    "/sessions/{session_id}",
    response_model=TranscriptPublic,
    summary="A session's transcript with citations",
    responses={**ADMIN_ERRORS, 404: {"description": "no such session"}},
)
def transcript(session_id: str, platform: PlatformDep, _: AdminUser) -> TranscriptPublic:
    try:
        session = platform.sessions.get_session(session_id)
    except (NotFound, InvalidInput):
        raise NotFound(f"session {session_id} not found") from None
    messages = platform.sessions.list_messages(session.id)
    return TranscriptPublic(
        session_id=session.id,
        user_id=client_user_id(session.user_id),
        username=usernames(platform, [session.user_id]).get(session.user_id),
        title=session.title,
        created_at=session.created_at,
        updated_at=session.updated_at,
        messages=[transcript_message(m) for m in messages],
    )


# -- unanswered queue ------------------------------------------------------------------


def unanswered_item(item: UnansweredQuestion, names: dict[str, str]) -> UnansweredQuestionPublic:
    return UnansweredQuestionPublic(
        id=item.id,
        session_id=item.session_id,
        user_id=client_user_id(item.user_id) if item.user_id else None,
        username=names.get(item.user_id or ""),
        question=item.question,
        answer=item.answer,
        asked_at=item.asked_at,
        index_version=item.index_version,
    )


@router.get(
    "/unanswered",
    response_model=UnansweredQuestionsPublic,
    summary="Questions the assistant could not answer, newest first",
    description="Open items only: resolving (into an FAQ item) or dismissing takes an item off the queue.",
    responses=ADMIN_ERRORS,
)
def unanswered(
    platform: PlatformDep, queue: Queue, _: AdminUser, limit: Limit = 50, offset: Offset = 0
) -> UnansweredQuestionsPublic:
    items = queue.items(limit=limit, skip=offset)
    names = usernames(platform, (i.user_id for i in items))
    return UnansweredQuestionsPublic(items=[unanswered_item(i, names) for i in items], count=len(items))


@router.post(
    "/unanswered/{item_id}/resolve",
    response_model=FaqItem,
    status_code=status.HTTP_201_CREATED,
    summary="Answer an unanswered question: it becomes an active FAQ item and leaves the queue",
    description=(
        "The FAQ answers the question from now on (the next ask of it, or of one close to it, is "
        "answered from the FAQ). The item, and every other open item that asked the same question "
        "(compared case- and space-insensitively), is marked resolved with the FAQ item's id."
    ),
    responses={
        **ADMIN_ERRORS,
        404: {"description": "no such unanswered item"},
        409: {"description": "the item was resolved or dismissed already"},
        422: {"description": "empty answer, or a question longer than an FAQ question may be"},
    },
)
def resolve(item_id: str, body: ResolveRequest, queue: Queue, admin: AdminUser) -> FaqItem:
    return queue.resolve(item_id, body.answer, body.question, by=admin.username)


@router.post(
    "/unanswered/{item_id}/dismiss",
    response_model=UnansweredQuestionPublic,
    summary="Take an unanswered question off the queue without an FAQ item",
    responses={
        **ADMIN_ERRORS,
        404: {"description": "no such unanswered item"},
        409: {"description": "the item was resolved or dismissed already"},
    },
)
def dismiss(item_id: str, platform: PlatformDep, queue: Queue, admin: AdminUser) -> UnansweredQuestionPublic:
    item = queue.dismiss(item_id, by=admin.username)
    return unanswered_item(item, usernames(platform, [item.user_id]))
