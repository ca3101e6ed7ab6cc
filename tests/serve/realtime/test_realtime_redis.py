"""With REDIS_URL, two API processes share rooms: a member on one server hears a member on the other.

Two Socket.IO servers (each with its own ``AsyncRedisManager``) are mounted on two uvicorn
servers over the same platform, as two workers behind a load balancer would be.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from realtime_support import Member, Recorder

# REDIS_URL, else the Redis server of this machine when one answers; read at import: the session
# fixtures unset REDIS_URL later.
REDIS_URL = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"


def _redis_answers(url: str) -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=2).ping())
    except redis.RedisError:
        return False


pytestmark = pytest.mark.skipif(
    not _redis_answers(REDIS_URL), reason=f"no Redis server answers at {REDIS_URL}"
)


@pytest.fixture(scope="module")
def two_workers(platform: Any) -> Iterator[tuple[str, str]]:
    from fastapi import FastAPI
    from serve_support import LiveServer

    from ragserve.realtime import server as realtime

    settings = platform.settings.model_copy(update={"redis_url": REDIS_URL})

    def worker() -> FastAPI:
        app = FastAPI()
        app.state.settings = settings
        realtime.install(app, lambda: platform)
        return app

    with LiveServer(worker()) as one, LiveServer(worker()) as two:
        yield one.url, two.url


async def test_rooms_span_workers_through_redis(
    two_workers: tuple[str, str],
    member: Callable[[str], Member],
    recorders: Callable[..., Recorder],
) -> None:
    url_one, url_two = two_workers
    ada, bob = member("Ada"), member("Bob")
    a, b = recorders(), recorders()
    await a.connect(url_one, auth={"token": ada.token})
    await b.connect(url_two, auth={"token": bob.token})

    await a.emit("create_room", {"name": "Across workers"})
    room_id = (await a.next("room_created"))["room_id"]
    await b.emit("join_room", {"room_id": room_id})
    assert (await b.next("room_joined"))["name"] == "Across workers"
    assert (await a.next("user_joined"))["user_id"] == bob.user.id

    await b.emit(
        "send_message", {"room_id": room_id, "content": "Who was the inventor of the atmospheric engine?"}
    )
    for r in (a, b):
        assert (await r.next("message_received", lambda m: m["role"] == "user"))["user_id"] == bob.user.id
        reply = await r.next("message_received", lambda m: m["role"] == "assistant")
        assert "Newcomen" in reply["content"]

    await b.close()
    assert (await a.next("user_left"))["user_id"] == bob.user.id
