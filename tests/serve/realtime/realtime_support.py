"""Socket.IO test clients: a recorder of server events, and a signed-in member."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import socketio

if TYPE_CHECKING:
    from ragplatform.content.base import User

ROOMS = "/assistant/realtime"
SERVER_EVENTS = (
    "room_created",
    "room_joined",
    "user_joined",
    "user_left",
    "message_received",
    "error",
)


@dataclass
class Member:
    user: User
    token: str


class Recorder:
    """An ``AsyncClient`` that records every server event, and waits for the ones a test expects."""

    def __init__(self, namespace: str = ROOMS) -> None:
        self.namespace = namespace
        self.client = socketio.AsyncClient(reconnection=False)
        self.events: list[tuple[str, Any]] = []
        self.connect_errors: list[Any] = []
        self._changed = asyncio.Event()
        for name in SERVER_EVENTS:
            self.client.on(name, handler=self._recorder(name), namespace=namespace)
        self.client.on("connect_error", handler=self._connect_error, namespace=namespace)

    def _recorder(self, name: str) -> Callable[[Any], Awaitable[None]]:
        async def record(data: Any = None) -> None:
            self.events.append((name, data))
            self._changed.set()

        return record

    async def _connect_error(self, data: Any = None) -> None:
        self.connect_errors.append(data)

    async def connect(self, url: str, auth: Any = None, query: str = "") -> None:
        await self.client.connect(
            url + query,
            auth=auth,
            namespaces=[self.namespace],
            transports=["websocket"],
            wait_timeout=10,
        )

    async def emit(self, event: str, data: Any = None) -> None:
        await self.client.emit(event, data, namespace=self.namespace)

    async def next(
        self, event: str, where: Callable[[Any], bool] = lambda _: True, timeout: float = 30.0
    ) -> Any:
        """The first recorded ``event`` matching ``where`` (consumed), waiting for it if needed."""
        deadline = time.monotonic() + timeout
        while True:
            for i, (name, data) in enumerate(self.events):
                if name == event and where(data):
                    del self.events[i]
                    return data
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"no {event!r} within {timeout}s; got {self.events!r}")
            self._changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), timeout=min(left, 1.0))

    async def nothing(self, event: str, wait: float = 0.5) -> None:
        """Asserts no ``event`` arrives within ``wait`` seconds."""
        await asyncio.sleep(wait)
        assert not [d for n, d in self.events if n == event], self.events

    async def close(self) -> None:
        if self.client.connected:
            await self.client.disconnect()
