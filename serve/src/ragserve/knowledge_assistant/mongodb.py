"""``/mongodb/*`` (API 01): the session log as the Telegram-style client sees it, one exchange
(question + answer) at a time, over the shared session store (whatever engine backs it)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field, field_validator

from ragplatform.answering.service import Answer
from ragplatform.content.base import MAX_LONG, User
from ragplatform.errors import NotFound
from ragplatform.factory import Platform
from ragplatform.sessions.base import Message, Session
from ragserve.access import can_see, owner_id, owner_metadata, visible_session
from ragserve.auth import OptionalUser
from ragserve.deps import Hub, PlatformDep
from ragserve.notify import NotificationHub, new_session_notification

router = APIRouter(prefix="/mongodb", tags=["sessions (API 01)"])

IDK_PREFIX = "i don't know"
DEFAULT_FACTOR = "user"
DEFAULT_ACTION = "asking_freely"
ShortText = Annotated[str, Field(max_length=200)]


class SessionCreate(BaseModel):
    session_id: str = Field(min_length=1, max_length=200, description="the client's id for the conversation")
    factor: ShortText = Field(default=DEFAULT_FACTOR, description="who spoke, e.g. user")
    action: ShortText = Field(default=DEFAULT_ACTION, description="what the client did, e.g. asking_freely")
    message: str = Field(min_length=1, max_length=MAX_LONG, description="the user's question")
    user_id: str = Field(min_length=1, max_length=200)
    username: ShortText = ""
    first_name: ShortText = ""
    last_name: ShortText = ""
    response: str = Field(
        default="",
        max_length=MAX_LONG,
        description="the answer; empty when not known yet (set it later with PUT .../response)",
    )

    @field_validator("*")
    @classmethod
    def _no_nul(cls, value: object) -> object:
        """Refused up front, so an exchange is never half stored (the database refuses NUL)."""
        if isinstance(value, str) and "\x00" in value:
            raise ValueError("must not contain NUL (\\x00) characters")
        return value


class SessionPublic(BaseModel):
    """One exchange of a session: the question (``message``) and its answer (``response``)."""

    session_id: str
    created_at: datetime = Field(description="when this exchange's question was stored (UTC)")
    factor: str
    action: str
    message: str = Field(description="the question; empty when the session has no question yet")
    user_id: str
    username: str
    first_name: str
    last_name: str
    response: str = Field(description="the answer; empty when not answered yet")


class StatusMessage(BaseModel):
    status: str
    message: str
    session_id: str


class HistoryItem(BaseModel):
    question: str
    answer: str


class History(BaseModel):
    history: list[HistoryItem]


class StoreHealth(BaseModel):
    status: str
    timestamp: datetime


def is_unanswered(response: str) -> bool:
    return response.strip().lower().startswith(IDK_PREFIX)


def latest_exchange(messages: list[Message]) -> tuple[Message | None, Message | None]:
    """The last user message and the assistant message that answers it (if any)."""
    question: Message | None = None
    answer: Message | None = None
    for m in messages:
        if m.role == "user":
            question, answer = m, None
        elif m.role == "assistant":
            answer = m
    return question, answer


def exchange_public(session: Session, question: Message | None, answer: Message | None) -> SessionPublic:
    meta, qmeta = session.metadata, (question.metadata if question else {})
    return SessionPublic(
        session_id=session.id,
        created_at=question.created_at if question else session.created_at,
        factor=str(qmeta.get("factor") or meta.get("factor") or DEFAULT_FACTOR),
        action=str(qmeta.get("action") or meta.get("action") or DEFAULT_ACTION),
        message=question.content if question else "",
        user_id=str(qmeta.get("user_id") or session.user_id),
        username=str(meta.get("username", "")),
        first_name=str(meta.get("first_name", "")),
        last_name=str(meta.get("last_name", "")),
        response=answer.content if answer else "",
    )


def open_or_create(platform: Platform, body: SessionCreate, user: User | None) -> Session:
    try:
        session = platform.sessions.get_session(body.session_id)
    except NotFound:
        profile = body.model_dump(include={"factor", "action", "username", "first_name", "last_name"})
        return platform.sessions.create_session(
            owner_id(user, body.user_id),
            title=body.message[:80],
            metadata=owner_metadata(user, profile),
            session_id=body.session_id,
        )
    if not can_see(session, user):
        raise NotFound("Session not found")
    return session


def notify_unanswered(
    platform: Platform, hub: NotificationHub, session: Session, question: str, response: str
) -> None:
    answer = Answer(
        answer=response,
        citations=[],
        unanswered=True,
        source="no_context",
        session_id=session.id,
        index_version=None,
        generator="client",
    )
    hub.publish_threadsafe(new_session_notification(platform, question, answer, session.user_id))


@router.post(
    "/session",
    response_model=SessionPublic,
    summary="Save one exchange (question + answer) to a session, creating the session when new",
    description=(
        "`message` is stored as the user's message and `response` (when not empty) as the assistant's "
        "answer, appended to the session `session_id`; a new session keeps `user_id`, `factor`, `action`, "
        '`username`, `first_name` and `last_name`. A response that starts with "I don\'t know" marks the '
        "exchange unanswered and is sent to `WS /notify` subscribers. Every field is stored verbatim."
    ),
)
def create_session(body: SessionCreate, platform: PlatformDep, user: OptionalUser, hub: Hub) -> SessionPublic:
    session = open_or_create(platform, body, user)
    unanswered = bool(body.response) and is_unanswered(body.response)
    question = platform.sessions.add_message(
        session.id,
        "user",
        body.message,
        {"user_id": body.user_id, "factor": body.factor, "action": body.action, "unanswered": unanswered},
    )
    answer = None
    if body.response:
        answer = platform.sessions.add_message(
            session.id,
            "assistant",
            body.response,
            {"source": "client", "unanswered": unanswered, "question": body.message, "user_id": body.user_id},
        )
    if unanswered:
        notify_unanswered(platform, hub, session, body.message, body.response)
    profile = body.model_dump(include={"username", "first_name", "last_name"})
    return exchange_public(session, question, answer).model_copy(update=profile)


@router.get(
    "/session/{session_id}",
    response_model=SessionPublic,
    summary="The latest exchange of a session",
    responses={404: {"description": "Session not found"}},
)
def get_session(session_id: str, platform: PlatformDep, user: OptionalUser) -> SessionPublic:
    session = visible_session(platform, session_id, user)
    question, answer = latest_exchange(platform.sessions.list_messages(session.id))
    return exchange_public(session, question, answer)


@router.put(
    "/session/{session_id}/response",
    response_model=StatusMessage,
    summary="Replace the answer of the session's latest exchange",
    description="Updates the latest assistant message; when the latest question has no answer yet, adds one.",
    responses={404: {"description": "Session not found"}},
)
def update_response(
    session_id: str,
    platform: PlatformDep,
    user: OptionalUser,
    response_text: Annotated[str, Query(max_length=MAX_LONG, description="the new answer text")],
) -> StatusMessage:
    session = visible_session(platform, session_id, user)
    question, answer = latest_exchange(platform.sessions.list_messages(session.id))
    meta: dict[str, Any] = {
        "unanswered": is_unanswered(response_text),
        "edited_at": datetime.now(UTC).isoformat(),
    }
    if answer is not None:
        platform.sessions.update_message(answer.id, content=response_text, metadata=meta)
    else:
        meta.update(source="client", question=question.content if question else "")
        platform.sessions.add_message(session.id, "assistant", response_text, meta)
    return StatusMessage(status="success", message="Response updated successfully", session_id=session.id)


@router.get(
    "/history",
    response_model=History,
    summary="A user's last n exchanges across sessions, oldest first",
    description="Exchanges of private sessions (made with a token) are listed only to their owner or an admin.",
)
def history(
    platform: PlatformDep,
    user: OptionalUser,
    user_id: Annotated[str, Query(min_length=1, max_length=200)],
    n: Annotated[int, Query(ge=1, le=100, description="how many exchanges, 1..100")] = 3,
) -> History:
    if is_registered_user(platform, user_id) and (
        user is None or (user.id != user_id and user.role != "admin")
    ):
        return History(history=[])
    pairs = platform.sessions.history(user_id, n)
    return History(history=[HistoryItem(question=q, answer=a) for q, a in pairs])


def is_registered_user(platform: Platform, user_id: str) -> bool:
    """Whether ``user_id`` names an account (account ids are UUIDs; clients may use any string)."""
    try:
        uuid.UUID(user_id)
        platform.content.get_user(user_id)
    except (ValueError, NotFound):
        return False
    return True


@router.get(
    "/health",
    response_model=StoreHealth,
    summary="Health of the session store",
    responses={503: {"description": "the session store cannot be reached"}},
)
def store_health(platform: PlatformDep) -> StoreHealth:
    info = platform.sessions.health()
    return StoreHealth(status=str(info.get("status", "healthy")), timestamp=datetime.now(UTC))
