"""``/mongodb/*`` (API 01): the session log as the Telegram-style client sees it, one exchange
(question + answer) at a time, over the shared session store (whatever engine backs it)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query

from ragplatform.content.base import MAX_LONG, User
from ragplatform.factory import Platform
from ragplatform.sessions.base import Message, Session
from ragplatform.sessions.owners import client_user_id, open_owner
from ragserve.access import can_see, owner_id, owner_metadata, visible_session
from ragserve.auth import OptionalUser
from ragserve.deps import PlatformDep
from ragserve.knowledge_assistant.schemas import (
    DEFAULT_ACTION,
    DEFAULT_FACTOR,
    ExchangeCreate,
    ExchangePublic,
    HistoryItemPublic,
    HistoryPublic,
    ResponseUpdatedPublic,
    SessionStoreHealthPublic,
)
from ragserve.users import is_account

router = APIRouter(prefix="/mongodb", tags=["sessions (API 01)"])


def exchange_public(session: Session, question: Message | None, answer: Message | None) -> ExchangePublic:
    meta, qmeta = session.metadata, (question.metadata if question else {})
    return ExchangePublic(
        session_id=session.id,
        created_at=question.created_at if question else session.created_at,
        factor=str(qmeta.get("factor") or meta.get("factor") or DEFAULT_FACTOR),
        action=str(qmeta.get("action") or meta.get("action") or DEFAULT_ACTION),
        message=question.content if question else "",
        user_id=client_user_id(str(qmeta.get("user_id") or session.user_id)),
        username=str(meta.get("username", "")),
        first_name=str(meta.get("first_name", "")),
        last_name=str(meta.get("last_name", "")),
        response=answer.content if answer else "",
    )


@router.post(
    "/session",
    response_model=ExchangePublic,
    summary="Save one exchange (question + answer) to a session, creating the session when new",
    description=(
        "`message` is stored as the user's message and `response` (when not empty) as the assistant's "
        "answer, appended to the session `session_id`; a new session keeps `user_id`, `factor`, `action`, "
        '`username`, `first_name` and `last_name`. A response that starts with "I don\'t know" marks the '
        "exchange unanswered and is sent to `WS /notify` subscribers. Every field is stored verbatim."
    ),
)
def create_session(body: ExchangeCreate, platform: PlatformDep, user: OptionalUser) -> ExchangePublic:
    owner = owner_id(user, body.user_id)
    profile = body.model_dump(include={"factor", "action", "username", "first_name", "last_name"})
    session = platform.answers.open_session(
        body.session_id, owner, body.message, owner_metadata(user, profile), lambda s: can_see(s, user)
    )
    exchange = platform.answers.record_exchange(
        session,
        body.message,
        body.response,
        user_id=owner,
        question_metadata={"factor": body.factor, "action": body.action},
    )
    shown = body.model_dump(include={"username", "first_name", "last_name"})
    return exchange_public(session, exchange.question, exchange.answer).model_copy(update=shown)


@router.get(
    "/session/{session_id}",
    response_model=ExchangePublic,
    summary="The latest exchange of a session",
    responses={404: {"description": "Session not found"}},
)
def get_session(session_id: str, platform: PlatformDep, user: OptionalUser) -> ExchangePublic:
    session = visible_session(platform, session_id, user)
    question, answer = platform.answers.latest_exchange(session.id)
    return exchange_public(session, question, answer)


@router.put(
    "/session/{session_id}/response",
    response_model=ResponseUpdatedPublic,
    summary="Replace the answer of the session's latest exchange",
    description="Updates the latest assistant message; when the latest question has no answer yet, adds one.",
    responses={404: {"description": "Session not found"}},
)
def update_response(
    session_id: str,
    platform: PlatformDep,
    user: OptionalUser,
    response_text: Annotated[str, Query(max_length=MAX_LONG, description="the new answer text")],
) -> ResponseUpdatedPublic:
    session = visible_session(platform, session_id, user)
    platform.answers.replace_latest_answer(session.id, response_text, datetime.now(UTC).isoformat())
    return ResponseUpdatedPublic(
        status="success", message="Response updated successfully", session_id=session.id
    )


@router.get(
    "/history",
    response_model=HistoryPublic,
    summary="A user's last n exchanges across sessions, oldest first",
    description="Exchanges of private sessions (made with a token) are listed only to their owner or an admin.",
)
def history(
    platform: PlatformDep,
    user: OptionalUser,
    user_id: Annotated[str, Query(min_length=1, max_length=200)],
    n: Annotated[int, Query(ge=1, le=100, description="how many exchanges, 1..100")] = 3,
) -> HistoryPublic:
    pairs = platform.sessions.history(history_owner(platform, user, user_id), n)
    return HistoryPublic(history=[HistoryItemPublic(question=q, answer=a) for q, a in pairs])


def history_owner(platform: Platform, user: User | None, user_id: str) -> str:
    """A signed-in caller naming its own account id (an admin: any account's id) reads that account's
    exchanges; every other ``user_id`` names an open-dialect client, in its own namespace
    (``ragplatform.sessions.owners``), so nobody reads an account's history without its token."""
    if user is not None and (user_id == user.id or (user.role == "admin" and is_account(platform, user_id))):
        return user_id
    return open_owner(user_id)


@router.get(
    "/health",
    response_model=SessionStoreHealthPublic,
    summary="Health of the session store",
    responses={503: {"description": "the session store cannot be reached"}},
)
def store_health(platform: PlatformDep) -> SessionStoreHealthPublic:
    info = platform.sessions.health()
    return SessionStoreHealthPublic(status=str(info.get("status", "healthy")), timestamp=datetime.now(UTC))
