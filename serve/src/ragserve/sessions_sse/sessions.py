"""``/sessions`` CRUD and ``/sessions/{id}/ask`` + ``/ask`` as Server-Sent Events (API 03).

Anonymous callers share the ``anonymous`` owner (API 03 has no accounts); with a
bearer token the sessions are the user's own and private. Input is validated
before a stream starts, so a bad question gets an ordinary 4xx JSON response;
once streaming, a failure is an ``error`` event, never a cut stream.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Query
from sse_starlette import EventSourceResponse
from starlette.concurrency import iterate_in_threadpool

from ragplatform.answering.service import Answer, AnswerEvent
from ragplatform.content.base import User
from ragplatform.errors import BackendUnavailable, NotFound, RagPlatformError
from ragplatform.factory import Platform
from ragplatform.sessions.base import Session
from ragserve.access import owner_id, owner_metadata, visible_session
from ragserve.auth import OptionalUser
from ragserve.deps import PlatformDep
from ragserve.params import checked_question
from ragserve.sessions_sse.schemas import (
    DEFAULT_TITLE,
    AskRequest,
    Message,
    SessionCreate,
    SessionCreatedPublic,
    SessionMessagePublic,
    SessionPublic,
    SessionsPublic,
    SessionUpdate,
    SessionWithMessagesPublic,
)

log = logging.getLogger(__name__)

router = APIRouter(tags=["sessions (API 03)"])

SSE_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
STAGE_MESSAGES = {
    "received": "Processing the question...",
    "retrieving": "Searching the knowledge base...",
    "generating": "Generating the answer...",
}


def title_of(session: Session) -> str:
    return session.title or DEFAULT_TITLE


def conversation(platform: Platform, session: Session) -> list[SessionMessagePublic]:
    return [
        SessionMessagePublic(message_id=m.id, role=m.role, content=m.content, timestamp=m.created_at)
        for m in platform.sessions.list_messages(session.id)
        if m.role in ("user", "assistant")
    ]


@router.get(
    "/sessions",
    response_model=SessionsPublic,
    summary="The caller's sessions, newest activity first",
    description="Without a token: the shared anonymous sessions (those made through API 03 or another "
    "open dialect without a user id); with a token: the user's own.",
)
def list_sessions(
    platform: PlatformDep,
    user: OptionalUser,
    skip: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> SessionsPublic:
    found = platform.sessions.search_sessions(user_id=owner_id(user), skip=skip, limit=limit)
    summaries = [
        SessionPublic(
            session_id=s.id,
            title=title_of(s),
            created_at=s.created_at,
            updated_at=s.updated_at,
            message_count=s.message_count,
        )
        for s in found.sessions
    ]
    return SessionsPublic(sessions=summaries, total=found.total)


@router.post(
    "/sessions",
    response_model=SessionCreatedPublic,
    summary='Create a session (title defaults to "New Chat")',
)
def create_session(
    platform: PlatformDep, user: OptionalUser, body: SessionCreate | None = None
) -> SessionCreatedPublic:
    body = body or SessionCreate()
    session = platform.sessions.create_session(
        owner_id(user), title=body.title, metadata=owner_metadata(user)
    )
    return SessionCreatedPublic(session_id=session.id, title=title_of(session), created_at=session.created_at)


@router.get(
    "/sessions/{session_id}",
    response_model=SessionWithMessagesPublic,
    summary="A session with its messages",
    responses={404: {"description": "Session not found"}},
)
def get_session(session_id: str, platform: PlatformDep, user: OptionalUser) -> SessionWithMessagesPublic:
    session = visible_session(platform, session_id, user)
    messages = conversation(platform, session)
    return SessionWithMessagesPublic(
        session_id=session.id,
        title=title_of(session),
        created_at=session.created_at,
        updated_at=session.updated_at,
        message_count=len(messages),
        messages=messages,
    )


@router.put(
    "/sessions/{session_id}",
    response_model=Message,
    summary="Rename a session",
    responses={404: {"description": "Session not found"}},
)
def update_session(
    session_id: str, body: SessionUpdate, platform: PlatformDep, user: OptionalUser
) -> Message:
    session = visible_session(platform, session_id, user)
    platform.sessions.update_session(session.id, title=body.title)
    return Message(message="Session updated successfully")


@router.delete(
    "/sessions/{session_id}",
    response_model=Message,
    summary="Delete a session and its messages",
    responses={404: {"description": "Session not found"}},
)
def delete_session(session_id: str, platform: PlatformDep, user: OptionalUser) -> Message:
    session = visible_session(platform, session_id, user)
    platform.sessions.delete_session(session.id)
    return Message(message="Session deleted successfully")


# -- asking over SSE ------------------------------------------------------------


def sse(payload: dict[str, Any]) -> dict[str, str]:
    return {"data": json.dumps(payload, ensure_ascii=False)}


def done_payload(answer: Answer) -> dict[str, Any]:
    return {
        "type": "done",
        **answer.outcome(),
        "message_id": answer.message_id,
    }


def to_sse(event: AnswerEvent) -> dict[str, Any]:
    if event.type == "status":
        stage = str(event.data.get("stage", ""))
        return {"type": "status", "message": STAGE_MESSAGES.get(stage, stage)}
    if event.type == "content":
        return {"type": "content", "content": event.data["text"]}
    return done_payload(event.data)


async def answer_events(
    platform: Platform, question: str, session_id: str, user: User | None, user_id: str
) -> AsyncIterator[dict[str, str]]:
    """status → content pieces → done; a failure after the first event becomes an ``error`` event."""
    yield sse({"type": "status", "message": STAGE_MESSAGES["received"]})
    try:
        stream = platform.answers.stream(
            question,
            user_id=user_id,
            session_id=session_id,
            owner=user.id if user else None,
            session_metadata=owner_metadata(user),
        )
        async for event in iterate_in_threadpool(stream):
            yield sse(to_sse(event))
    except RagPlatformError as exc:
        yield sse({"type": "error", "message": exc.message})
    except Exception:
        log.exception("streaming an answer for session %s failed", session_id)
        yield sse({"type": "error", "message": "the answer could not be completed; please try again"})


def require_retrieval(platform: Platform) -> None:
    """API 03's 503 comes before the stream: without a served index there is nothing to stream.
    Raises BackendUnavailable."""
    try:
        platform.serving.current  # noqa: B018 -- resolves the served index or raises
    except NotFound as exc:
        raise BackendUnavailable(f"Retrieval system not available: {exc.message}") from None


def event_stream(
    platform: Platform, question: str, session_id: str, user: User | None, user_id: str
) -> EventSourceResponse:
    require_retrieval(platform)
    events = answer_events(platform, question, session_id, user, user_id)
    return EventSourceResponse(events, headers=SSE_HEADERS, sep="\n")


ASK_DESCRIPTION = (
    "Server-Sent Events, one JSON object per `data:` line: `status` events (`message`), `content` events "
    "(`content`, pieces of the answer as they are generated), then `done` (with `session_id`, `message_id`, "
    "`citations`, `unanswered`, `source`, `index_version`). A failure after the stream started is an "
    "`error` event (`message`) and the stream ends. Bad input is answered 422 before any event. "
    "The exchange is stored in the session when the answer completes.\n\n"
    "Where this differs from API document 03, on purpose: the `status` messages are in English "
    "(the document's examples are Indonesian; clients show them as loading text, never parse them); "
    "`done` carries the fields above besides `type`, and `error` is a fourth event type, so a client "
    "is never left waiting for a `done` that cannot come; the question has a length limit "
    "(ANSWER__MAX_QUESTION_CHARS, one rule for every dialect) where the document says there is none; "
    "a body that is not JSON at all is answered 422 (`json_invalid`) as FastAPI answers it, where the "
    "document lists a 400 `Invalid request format`."
)
SSE_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/event-stream": {}}, "description": "the event stream"},
    503: {"description": "Retrieval system not available (no index version is served yet)"},
}


@router.post(
    "/sessions/{session_id}/ask",
    summary="Ask a question in a session; the answer streams as Server-Sent Events",
    description=ASK_DESCRIPTION,
    response_class=EventSourceResponse,
    responses={**SSE_RESPONSES, 404: {"description": "Session not found"}},
)
def ask_in_session(
    session_id: str, body: AskRequest, platform: PlatformDep, user: OptionalUser
) -> EventSourceResponse:
    question = checked_question(platform.answers, body.question)
    session = visible_session(platform, session_id, user)
    return event_stream(platform, question, session.id, user, user.id if user else session.user_id)


@router.post(
    "/ask",
    summary="Legacy: ask in a new session; the answer streams as Server-Sent Events",
    description=ASK_DESCRIPTION + " The new session's id is in the `done` event.",
    response_class=EventSourceResponse,
    responses=SSE_RESPONSES,
)
def ask(body: AskRequest, platform: PlatformDep, user: OptionalUser) -> EventSourceResponse:
    question = checked_question(platform.answers, body.question)
    return event_stream(platform, question, str(uuid.uuid4()), user, owner_id(user))
