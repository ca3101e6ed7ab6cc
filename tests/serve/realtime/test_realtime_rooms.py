"""Rooms on /assistant/realtime: create, join, leave, ask together, and the errors a client sees."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from realtime_support import Member, Recorder

Joined = Callable[[str], Awaitable[tuple[Member, Recorder]]]
QUESTION = "Who was the inventor of the atmospheric engine?"


async def create_room(r: Recorder, **payload: Any) -> dict[str, Any]:
    await r.emit("create_room", payload)
    room: dict[str, Any] = await r.next("room_created")
    return room


async def test_create_room_makes_a_session_private_to_its_creator(joined: Joined, platform: Any) -> None:
    ada, r = await joined("Ada")
    room = await create_room(r, name="Steam history", type="openai_realtime")
    assert room["name"] == "Steam history"
    assert room["type"] == "openai_realtime"
    assert room["created_at"]
    assert room["owner_id"] == ada.user.id
    session = platform.sessions.get_session(room["room_id"])
    assert session.user_id == ada.user.id
    assert session.metadata["private"] is True
    assert session.title == "Steam history"


async def test_create_room_defaults_its_name_and_type(joined: Joined) -> None:
    _, r = await joined("Ada")
    await r.emit("create_room")
    room = await r.next("room_created")
    assert room["type"] == "ai_suite"
    assert room["name"].startswith("Room ")


async def test_join_and_leave_tell_the_other_members(joined: Joined) -> None:
    ada, a = await joined("Ada")
    bob, b = await joined("Bob")
    room = await create_room(a, name="Shared")
    await b.emit("join_room", {"room_id": room["room_id"]})
    confirmation = await b.next("room_joined")
    assert confirmation["room_id"] == room["room_id"]
    assert confirmation["name"] == "Shared"
    assert confirmation["user_id"] == bob.user.id
    assert await a.next("user_joined") == {"room_id": room["room_id"], "user_id": bob.user.id, "name": "Bob"}
    await b.nothing("user_joined")

    await b.emit("leave_room", {"room_id": room["room_id"]})
    left = await a.next("user_left")
    assert left == {"room_id": room["room_id"], "user_id": bob.user.id, "name": "Bob"}
    assert (await b.next("user_left"))["user_id"] == bob.user.id  # the leaver's confirmation
    await b.emit("send_message", {"room_id": room["room_id"], "content": "still here?"})
    error = await b.next("error")
    assert error["event"] == "send_message"
    assert "not joined" in error["detail"]
    assert ada.user.id != bob.user.id


async def test_disconnecting_tells_the_rooms_the_user_was_in(joined: Joined) -> None:
    _, a = await joined("Ada")
    bob, b = await joined("Bob")
    room = await create_room(a)
    await b.emit("join_room", {"room_id": room["room_id"]})
    await b.next("room_joined")
    await a.next("user_joined")
    await b.close()
    left = await a.next("user_left")
    assert left["user_id"] == bob.user.id
    assert left["room_id"] == room["room_id"]


async def test_two_members_both_see_the_question_and_the_cited_answer(joined: Joined, platform: Any) -> None:
    ada, a = await joined("Ada")
    _, b = await joined("Bob")
    room = await create_room(a)
    room_id = room["room_id"]
    await b.emit("join_room", {"room_id": room_id})
    await b.next("room_joined")

    await a.emit("send_message", {"room_id": room_id, "content": QUESTION})
    for r in (a, b):
        mine = await r.next("message_received", lambda m: m["role"] == "user")
        assert mine["content"] == QUESTION
        assert mine["user_id"] == ada.user.id
        assert mine["room_id"] == room_id
        assert mine["message_id"] and mine["timestamp"]
        reply = await r.next("message_received", lambda m: m["role"] == "assistant")
        assert "Newcomen" in reply["content"]
        assert reply["unanswered"] is False
        assert reply["citations"], "an answer from the index cites its sources"
        assert any("steam-engine" in c["source"] for c in reply["citations"])
        assert reply["reply_to"] == mine["message_id"]

    messages = platform.sessions.list_messages(room_id)
    assert [m.role for m in messages] == ["user", "assistant"]
    assert messages[0].content == QUESTION
    assert messages[0].metadata["user_id"] == ada.user.id
    assert "Newcomen" in messages[1].content
    assert messages[1].id == reply["message_id"]


async def test_a_question_nothing_answers_is_marked_unanswered(joined: Joined) -> None:
    _, a = await joined("Ada")
    room = await create_room(a)
    await a.emit("send_message", {"room_id": room["room_id"], "content": "zxqv blorptang frimble wex?"})
    reply = await a.next("message_received", lambda m: m["role"] == "assistant")
    assert reply["unanswered"] is True
    assert reply["citations"] == []


async def test_errors_go_to_the_sender_only_and_the_connection_survives(joined: Joined) -> None:
    _, a = await joined("Ada")
    _, b = await joined("Bob")
    room = await create_room(a)
    room_id = room["room_id"]
    await b.emit("join_room", {"room_id": room_id})
    await b.next("room_joined")

    cases: list[tuple[str, Any, str]] = [
        ("join_room", {"room_id": "00000000-0000-4000-8000-000000000000"}, "Room not found"),
        ("join_room", {}, "room_id"),
        ("join_room", "not an object", "JSON object"),
        ("leave_room", {"room_id": "00000000-0000-4000-8000-000000000000"}, "not joined"),
        ("send_message", {"room_id": room_id, "content": "   "}, "must not be empty"),
        ("send_message", {"room_id": room_id, "content": "x" * 4001}, "the limit is 4000"),
        ("send_message", {"room_id": room_id}, "content"),
        ("send_message", {"room_id": room_id, "content": 42}, "content"),
        ("create_room", {"type": "telepathy"}, "type"),
    ]
    for event, payload, detail in cases:
        await a.emit(event, payload)
        error = await a.next("error")
        assert error["event"] == event, (event, payload, error)
        assert detail in error["detail"], (event, payload, error)
    await b.nothing("error")
    await b.nothing("message_received", wait=0.1)

    await a.emit("send_message", {"room_id": room_id, "content": QUESTION})
    reply = await a.next("message_received", lambda m: m["role"] == "assistant")
    assert "Newcomen" in reply["content"]


async def test_a_private_chat_session_is_not_a_room_for_other_users(joined: Joined, platform: Any) -> None:
    ada, a = await joined("Ada")
    _, b = await joined("Bob")
    private = platform.sessions.create_session(ada.user.id, "Ada's own chat", {"private": True})
    await b.emit("join_room", {"room_id": private.id})
    assert (await b.next("error"))["detail"] == "Room not found"
    await a.emit("join_room", {"room_id": private.id})
    assert (await a.next("room_joined"))["room_id"] == private.id
