"""Fixtures for the Socket.IO tests: signed-in users and clients on the websocket transport."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TYPE_CHECKING, Any

import pytest
from realtime_support import ROOMS, Member, Recorder

if TYPE_CHECKING:
    from ragplatform.factory import Platform


@pytest.fixture
def member(platform: Platform) -> Callable[[str], Member]:
    """A new signed-in user and their access token."""
    from ragserve.auth import create_token

    def make(name: str = "Ada") -> Member:
        user = platform.content.create_user(f"rt-{uuid.uuid4().hex[:12]}@example.com", None, full_name=name)
        token, _ = create_token(platform, user)
        return Member(user, token)

    return make


@pytest.fixture
async def recorders() -> AsyncIterator[Callable[[], Recorder]]:
    """Makes clients; disconnects every one at the end of the test."""
    made: list[Recorder] = []

    def make(namespace: str = ROOMS) -> Recorder:
        made.append(Recorder(namespace))
        return made[-1]

    yield make
    for r in made:
        await r.close()


@pytest.fixture
async def joined(
    live_server: Any, member: Callable[[str], Member], recorders: Callable[[], Recorder]
) -> Callable[[str], Awaitable[tuple[Member, Recorder]]]:
    """A signed-in user connected to ``/assistant/realtime``."""

    async def make(name: str = "Ada") -> tuple[Member, Recorder]:
        m = member(name)
        r = recorders()
        await r.connect(live_server.url, auth={"token": m.token})
        return m, r

    return make
