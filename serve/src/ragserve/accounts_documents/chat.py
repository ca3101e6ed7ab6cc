"""``WS /api/chat`` and ``GET /api/session_id`` (API 04): a signed-in user's chat over a WebSocket.

Connecting: ``ws://HOST/api/chat?session_id=<id>&token=<JWT>``. The token may come instead from an
``Authorization: Bearer`` header or the ``access_token`` cookie. The user is the token's; a
``user_id`` query parameter (older clients send one) is ignored. Without a valid token, or when the
session belongs to another user, the server accepts and at once closes with code 1008 (policy
violation) and a reason (``Session not found`` for someone else's session, as the REST routes
answer 404). Without ``session_id`` a new session is started; ``GET /api/session_id`` hands out one.
A session that does not exist yet is created on the first question, private to the user, and is
visible later through the session routes (``GET /sessions/{id}``) with the same user's token.

Messages, one question at a time:

- client → server: a text frame, either plain text or JSON ``{"message": "..."}``;
- server → client, as JSON text frames:
  ``{"type": "status", "stage", "message"}`` (retrieving, generating),
  ``{"type": "content", "content"}`` for each piece of the answer as the model produces it, then
  ``{"type": "done", "answer", "citations", "session_id", "unanswered", "source", "index_version",
  "message_id"}``;
  ``{"type": "error", "detail"}`` for a message that cannot be answered (empty, too long, not
  text); the connection stays open. When the token expires the server closes with 1008.

Questions search the promoted index and the user's own uploaded documents; the exchange (with
citations, latency and tokens) is stored in the session store and counted in ``/api/metrics``.

Where this differs from API document 04, on purpose: the chat history is kept in the platform's
session store (PostgreSQL or MongoDB), not in Redis, so every dialect reads the same conversation
(Redis, when ``REDIS_URL`` is set, carries notifications between replicas); messages are not
embedded into the vector index (the document's "message embeddings stored in Pinecone"): answers
search the promoted index and the user's uploads, and a past exchange is context through the
session's history instead. Uploaded documents are indexed per owner as the document says, in the
configured vector engine (LanceDB by default, Weaviate in production).
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from typing import Any

from fastapi import APIRouter, HTTPException, WebSocket, WebSocketDisconnect, status
from starlette.concurrency import iterate_in_threadpool, run_in_threadpool

from ragplatform.answering.service import Answer, AnswerEvent
from ragplatform.content.base import User
from ragplatform.errors import NotFound, RagPlatformError, Unauthorized
from ragplatform.factory import Platform
from ragserve.access import owner_metadata, visible_session
from ragserve.accounts_documents.schemas import SessionIdPublic
from ragserve.auth import CurrentUser, decode_token, token_from_websocket, user_from_token
from ragserve.body_guard import string_problem

log = logging.getLogger(__name__)

router = APIRouter(prefix="/api", tags=["chat"])

POLICY_VIOLATION = 1008
STAGES = {"retrieving": "Searching the knowledge base", "generating": "Writing the answer"}


@router.get(
    "/session_id",
    response_model=SessionIdPublic,
    summary="Get a new chat session id",
    description=(
        "Returns a new UUID4. The session itself is created, private to the caller, by the first "
        "question sent on `WS /api/chat?session_id=...`."
    ),
)
def new_session_id(user: CurrentUser) -> SessionIdPublic:
    return SessionIdPublic(session_id=str(uuid.uuid4()))


@router.get(
    "/chat",
    summary="WebSocket chat (connect with ws://; a plain GET answers 426)",
    description=__doc__ or "",
    status_code=status.HTTP_426_UPGRADE_REQUIRED,
    responses={426: {"description": "This path is a WebSocket endpoint"}},
)
def chat_over_http() -> None:
    raise HTTPException(
        status.HTTP_426_UPGRADE_REQUIRED,
        "WS /api/chat is a WebSocket endpoint: connect with ws://HOST/api/chat?session_id=<id>&token=<JWT>",
        headers={"Upgrade": "websocket"},
    )


def parse_question(text: str) -> str:
    """Plain text, or JSON ``{"message": "..."}``. Raises ValueError with a message for the client."""
    stripped = text.strip()
    if stripped.startswith("{"):
        try:
            payload = json.loads(stripped)
        except json.JSONDecodeError:
            return stripped  # text that merely starts with a brace
        message = payload.get("message") if isinstance(payload, dict) else None
        if not isinstance(message, str):
            raise ValueError('a JSON message needs a string field "message": {"message": "your question"}')
        stripped = message.strip()
    if not stripped:
        raise ValueError("the message is empty: send your question as text")
    if problem := string_problem(stripped):
        raise ValueError(f"message: {problem}")
    return stripped


def event_message(event: AnswerEvent) -> dict[str, Any]:
    if event.type == "status":
        stage = str(event.data.get("stage", ""))
        return {"type": "status", "stage": stage, "message": STAGES.get(stage, stage)}
    if event.type == "content":
        return {"type": "content", "content": event.data["text"]}
    answer: Answer = event.data
    return {
        "type": "done",
        "answer": answer.answer,
        **answer.outcome(),
        "message_id": answer.message_id,
    }


class ChatConnection:
    """One connected user: answers each question, streaming, into one session."""

    def __init__(self, websocket: WebSocket, platform: Platform, user: User, expires: float, session_id: str):
        self.websocket = websocket
        self.platform = platform
        self.user = user
        self.expires = expires
        self.session_id = session_id
        self.connected = True

    async def send(self, message: dict[str, Any]) -> None:
        """Sends unless the client left; an answer in progress still completes and is stored."""
        if not self.connected:
            return
        try:
            await self.websocket.send_json(message)
        except (WebSocketDisconnect, RuntimeError, OSError):
            self.connected = False

    async def serve(self) -> None:
        while self.connected:
            frame = await self.websocket.receive()
            if frame["type"] == "websocket.disconnect":
                return
            if time.time() >= self.expires:
                await self.websocket.close(POLICY_VIOLATION, "token expired: sign in again")
                return
            text = frame.get("text")
            if text is None:
                await self.send({"type": "error", "detail": "send questions as text frames, not binary"})
                continue
            try:
                question = parse_question(text)
            except ValueError as exc:
                await self.send({"type": "error", "detail": str(exc)})
                continue
            await self.answer(question)

    async def answer(self, question: str) -> None:
        events = self.platform.answers.stream(
            question,
            user_id=self.user.id,
            session_id=self.session_id,
            owner=self.user.id,
            session_metadata=owner_metadata(self.user, {"dialect": "api04"}),
        )
        try:
            async for event in iterate_in_threadpool(events):
                await self.send(event_message(event))
        except RagPlatformError as exc:
            await self.send({"type": "error", "detail": exc.message})
        except Exception:
            log.exception("WS /api/chat failed for session %s", self.session_id)
            await self.send({"type": "error", "detail": "the answer failed on the server; try again"})


def authenticate(platform: Platform, token: str | None) -> tuple[User, float]:
    """The user and the token's expiry (epoch seconds). Raises Unauthorized."""
    user = user_from_token(platform, token)
    claims = decode_token(platform, token or "")
    return user, float(claims["exp"])


def check_session(platform: Platform, session_id: str, user: User) -> None:
    """Raises NotFound for someone else's private session; a new id is fine (created on first use)."""
    try:
        platform.sessions.get_session(session_id)
    except NotFound:
        return
    visible_session(platform, session_id, user)


@router.websocket("/chat", name="api_chat")
async def chat(websocket: WebSocket) -> None:
    """Streams answers to a signed-in user; the protocol is in this module's docstring."""
    platform: Platform = websocket.app.state.platform
    await websocket.accept()
    session_id = (websocket.query_params.get("session_id") or "").strip() or str(uuid.uuid4())
    try:
        user, expires = await run_in_threadpool(authenticate, platform, token_from_websocket(websocket))
        if len(session_id) > 200:
            raise NotFound("Session not found")
        await run_in_threadpool(check_session, platform, session_id, user)
    except (Unauthorized, NotFound) as exc:
        await websocket.close(POLICY_VIOLATION, exc.message[:120])
        return
    try:
        await ChatConnection(websocket, platform, user, expires, session_id).serve()
    except WebSocketDisconnect:
        return
