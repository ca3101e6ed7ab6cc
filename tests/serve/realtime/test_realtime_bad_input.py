"""Socket.IO messages holding values the platform cannot carry get an ``error`` event naming the
field; the connection and the server carry on."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
import socketio
from realtime_support import Member, Recorder

Joined = Callable[[str], Awaitable[tuple[Member, Recorder]]]


@pytest.mark.parametrize(
    ("event", "payload", "field"),
    [
        ("create_room", {"name": "\ud800"}, "name"),
        ("create_room", {"name": "a\x00b"}, "name"),
        ("send_message", {"room_id": "r", "content": "\udfff"}, "content"),
        ("send_message", {"room_id": "r", "content": "hi", "extra": [float("nan")]}, "extra.0"),
        ("join_room", {"room_id": "\x00"}, "room_id"),
    ],
)
async def test_unstorable_values_in_events_are_named_errors(
    joined: Joined, event: str, payload: dict[str, Any], field: str
) -> None:
    _, r = await joined("Ada")
    await r.emit(event, payload)
    error = await r.next("error")
    assert error["event"] == event
    assert error["detail"].startswith(f"{field}: Input should"), error
    await r.emit("create_room", {"name": "still works"})
    assert (await r.next("room_created"))["name"] == "still works"


async def test_a_token_holding_a_lone_surrogate_is_refused_like_any_bad_token(
    live_server: Any, recorders: Callable[[], Recorder], joined: Joined
) -> None:
    r = recorders()
    with pytest.raises(socketio.exceptions.ConnectionError):
        await r.connect(live_server.url, auth={"token": "abc\ud800"})
    assert "invalid token" in str(r.connect_errors), r.connect_errors
    _, other = await joined("Bob")
    await other.emit("create_room", {"name": "fine"})
    assert (await other.next("room_created"))["name"] == "fine"
