"""Socket.IO namespace ``/assistant/realtime``: rooms where people ask the assistant together.

A room is a chat session: the room id is the session id, the session belongs to the user
who created the room and stays private to them in every REST dialect
(``metadata.private``), and every exchange is stored in it.

Who may join: any signed-in user who knows the room id (a UUID4, so it works like an
invitation link). The id of an ordinary chat session is not a room: it can be joined only
by whoever may already see that session (its owner, an admin, anyone for an open session).
Joining gives no access to the session over REST.

A room (or a v1 chat joined as one) that names its model (``create_room``'s ``model_id`` and
``model_api_source``, as ``POST /api/v1/chat`` takes them) is answered by that model's provider;
one whose provider is not configured is refused at creation, naming the setting to add.

Client → server: ``create_room`` {"name"?, "type"?, "model_id"?, "model_api_source"?}, ``join_room`` {"room_id"},
``leave_room`` {"room_id"}, ``send_message`` {"room_id", "content"}.
Server → client: ``room_created``, ``room_joined`` (to the joiner), ``user_joined`` (to the
others), ``user_left`` (to the room, the leaver included), ``message_received`` (the user's
message, then the assistant's reply, to every member), ``error`` {"event", "detail"} (to the
sender only), or, when the assistant cannot answer a room's message (no index promoted, a
provider down), ``error`` {"event", "room_id", "detail"} to every member: API 05's "room-specific
errors broadcast to room members".
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.concurrency import run_in_threadpool

from ragplatform.answering.service import Answer, AskOptions
from ragplatform.content.base import User
from ragplatform.errors import InvalidInput, NotFound, RagPlatformError
from ragplatform.generation.providers import choose_chat_model
from ragplatform.sessions.base import Session
from ragserve.access import can_see
from ragserve.body_guard import describe, find_refused
from ragserve.realtime.handshake import PlatformGetter, authenticate

log = logging.getLogger(__name__)

NAMESPACE = "/assistant/realtime"
# Answers computed at once per worker; more wait their turn. Answering is CPU-bound Python in
# threads: many of them starve the event loop of the GIL and every delivery in the process
# stalls (measured: 20 at once delayed even the echo of a message by 1.4 s; see bench/api.py).
ANSWER_CONCURRENCY = 4
RoomType = Literal["ai_suite", "openai_realtime"]
M = TypeVar("M", bound=BaseModel)


class CreateRoom(BaseModel):
    model_config = ConfigDict(extra="ignore")
    name: str | None = Field(default=None, max_length=200)
    type: RoomType = "ai_suite"
    model_id: str | None = Field(default=None, min_length=1, max_length=200)
    model_api_source: str | None = Field(default=None, min_length=1, max_length=100)


class RoomRef(BaseModel):
    model_config = ConfigDict(extra="ignore")
    room_id: str = Field(min_length=1, max_length=200)


class SendMessage(RoomRef):
    content: str


class EventError(Exception):
    """A client mistake: becomes ``error`` {"event", "detail"} to the sender."""


def parse(model: type[M], data: Any) -> M:
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise EventError(f"the payload must be a JSON object, got {type(data).__name__}")
    if refused := find_refused(data, root="payload"):
        raise EventError(describe(refused))
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "payload"
        raise EventError(f"{where}: {first['msg']}") from None


def now_iso() -> str:
    return datetime.now(UTC).isoformat()


def display_name(user: User) -> str:
    return user.full_name or user.username


def room_info(session: Session) -> dict[str, Any]:
    meta = session.metadata
    return {
        "room_id": session.id,
        "name": meta.get("room_name") or session.title,
        "type": meta.get("room_type", "ai_suite"),
        "created_at": session.created_at.isoformat(),
        "owner_id": session.user_id,
        **{key: meta[key] for key in ("model_id", "model_api_source") if meta.get(key)},
    }


def may_join(session: Session, user: User) -> bool:
    return bool(session.metadata.get("realtime_room")) or can_see(session, user)


def assistant_message(room_id: str, answer: Answer, reply_to: str) -> dict[str, Any]:
    return {
        "room_id": room_id,
        "message_id": answer.message_id,
        "role": "assistant",
        "user_id": None,
        "content": answer.answer,
        "citations": [c.to_dict() for c in answer.citations],
        "unanswered": answer.unanswered,
        "source": answer.source,
        "index_version": answer.index_version,
        "reply_to": reply_to,
        "timestamp": now_iso(),
    }


Handler = Callable[[str, Any], Awaitable[None]]


class RoomsNamespace:
    """The handlers of ``/assistant/realtime``; ``register_rooms_namespace`` wires them."""

    def __init__(self, sio: Any, platform_getter: PlatformGetter) -> None:
        self.sio = sio
        self.platform = platform_getter
        self.answering = asyncio.Semaphore(ANSWER_CONCURRENCY)

    # -- connection -------------------------------------------------------------

    async def connect(self, sid: str, environ: dict[str, Any], auth: Any = None) -> None:
        user = await authenticate(self.platform(), environ, auth, required=True)
        await self.sio.save_session(sid, {"user": user}, namespace=NAMESPACE)

    async def disconnect(self, sid: str, reason: Any = None) -> None:
        try:
            user = await self.user(sid)
        except KeyError:  # refused before its session was saved
            return
        for room_id in self.joined(sid):
            await self.emit_user_left(room_id, user, skip_sid=sid)

    # -- events -------------------------------------------------------------------

    async def create_room(self, sid: str, data: Any) -> None:
        body = parse(CreateRoom, data)
        user = await self.user(sid)
        room_id = str(uuid.uuid4())
        name = (body.name or "").strip() or f"Room {room_id[:8]}"
        meta = {"private": True, "realtime_room": True, "room_type": body.type, "room_name": name}
        if body.model_id is not None or body.model_api_source is not None:
            model_id, source = choose_chat_model(
                self.platform().settings, body.model_id, body.model_api_source
            )
            meta |= {"model_id": model_id, "model_api_source": source}
        session = await run_in_threadpool(
            self.platform().sessions.create_session, user.id, name, meta, room_id
        )
        await self.sio.enter_room(sid, room_id, namespace=NAMESPACE)
        await self.sio.emit("room_created", room_info(session), to=sid, namespace=NAMESPACE)

    async def join_room(self, sid: str, data: Any) -> None:
        room_id = parse(RoomRef, data).room_id
        user = await self.user(sid)
        session = await self.room(room_id, user)
        already = room_id in self.joined(sid)
        await self.sio.enter_room(sid, room_id, namespace=NAMESPACE)
        await self.sio.emit(
            "room_joined", {**room_info(session), "user_id": user.id}, to=sid, namespace=NAMESPACE
        )
        if not already:
            await self.sio.emit(
                "user_joined",
                {"room_id": room_id, "user_id": user.id, "name": display_name(user)},
                to=room_id,
                skip_sid=sid,
                namespace=NAMESPACE,
            )

    async def leave_room(self, sid: str, data: Any) -> None:
        room_id = parse(RoomRef, data).room_id
        user = await self.user(sid)
        self.require_member(sid, room_id)
        await self.emit_user_left(room_id, user)
        await self.sio.leave_room(sid, room_id, namespace=NAMESPACE)

    async def send_message(self, sid: str, data: Any) -> None:
        body = parse(SendMessage, data)
        try:  # the question length rule of every dialect (ANSWER__MAX_QUESTION_CHARS)
            content = self.platform().answers.check_question(body.content)
        except InvalidInput as exc:
            raise EventError(exc.message.replace("question", "content", 1)) from None
        user = await self.user(sid)
        self.require_member(sid, body.room_id)
        message_id = str(uuid.uuid4())
        await self.sio.emit(
            "message_received",
            {
                "room_id": body.room_id,
                "message_id": message_id,
                "role": "user",
                "user_id": user.id,
                "name": display_name(user),
                "content": content,
                "timestamp": now_iso(),
            },
            to=body.room_id,
            namespace=NAMESPACE,
        )
        try:
            async with self.answering:
                answer = await run_in_threadpool(
                    self.platform().answers.ask,
                    content,
                    user_id=user.id,
                    session_id=body.room_id,
                    options=AskOptions(),
                    owner=user.id,
                    chat_id=body.room_id,
                )
        except RagPlatformError as exc:  # a room error (API 05): every member saw the question
            await self.sio.emit(
                "error",
                {"event": "send_message", "room_id": body.room_id, "detail": exc.message},
                to=body.room_id,
                namespace=NAMESPACE,
            )
            return
        await self.sio.emit(
            "message_received",
            assistant_message(body.room_id, answer, message_id),
            to=body.room_id,
            namespace=NAMESPACE,
        )

    # -- helpers ------------------------------------------------------------------

    async def user(self, sid: str) -> User:
        session = await self.sio.get_session(sid, namespace=NAMESPACE)
        user: User = session["user"]
        return user

    def joined(self, sid: str) -> list[str]:
        return [r for r in self.sio.rooms(sid, namespace=NAMESPACE) if r != sid]

    def require_member(self, sid: str, room_id: str) -> None:
        if room_id not in self.joined(sid):
            raise EventError(f"you have not joined room {room_id}: send join_room first")

    async def room(self, room_id: str, user: User) -> Session:
        try:
            session: Session = await run_in_threadpool(self.platform().sessions.get_session, room_id)
        except NotFound:
            raise EventError("Room not found") from None
        if not may_join(session, user):
            raise EventError("Room not found")
        return session

    async def emit_user_left(self, room_id: str, user: User, skip_sid: str | None = None) -> None:
        await self.sio.emit(
            "user_left",
            {"room_id": room_id, "user_id": user.id, "name": display_name(user)},
            to=room_id,
            skip_sid=skip_sid,
            namespace=NAMESPACE,
        )

    def guarded(self, event: str, handler: Handler) -> Handler:
        """Turns any failure into ``error`` to the sender; a handler never crashes the server."""

        async def run(sid: str, data: Any = None) -> None:
            try:
                await handler(sid, data)
            except (EventError, RagPlatformError) as exc:  # the client's mistake, or no index served
                await self.error(sid, event, str(exc))
            except Exception:
                log.exception("socket.io %s failed", event)
                await self.error(sid, event, "internal error: the server could not handle this event")

        return run

    async def error(self, sid: str, event: str, detail: str) -> None:
        try:
            await self.sio.emit("error", {"event": event, "detail": detail}, to=sid, namespace=NAMESPACE)
        except Exception:  # the client is gone
            log.debug("could not send an error to %s", sid, exc_info=True)


def register_rooms_namespace(sio: Any, platform_getter: PlatformGetter) -> RoomsNamespace:
    rooms = RoomsNamespace(sio, platform_getter)
    sio.on("connect", handler=rooms.connect, namespace=NAMESPACE)
    sio.on("disconnect", handler=rooms.disconnect, namespace=NAMESPACE)
    events: dict[str, Handler] = {
        "create_room": rooms.create_room,
        "join_room": rooms.join_room,
        "leave_room": rooms.leave_room,
        "send_message": rooms.send_message,
    }
    for event, handler in events.items():
        sio.on(event, handler=rooms.guarded(event, handler), namespace=NAMESPACE)
    return rooms
