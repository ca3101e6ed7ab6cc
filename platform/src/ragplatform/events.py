"""Platform events: what just happened (a lead created, a workflow step done, a payment recorded),
told to every process that listens, whichever process it happened in.

A service calls ``EventBus.publish(PlatformEvent(...))``; ``ragserve`` listens (``EventBus.listen``)
and pushes each event to the WebSocket listeners allowed to see it. The event travels between
processes, so a workflow running in a separate ``ragplatform worker`` reaches a browser connected to
any replica:

- through Redis pub/sub when ``REDIS_URL`` is set (the production form, shared with the Socket.IO
  and notification fan-out);
- otherwise through PostgreSQL ``NOTIFY``, which the embedded database offers with nothing more to
  run.

Delivery is at most once and best effort, as a live view needs: what an event reports is stored
first (a run, a lead, a subscription), so a client that missed one reads the state by REST.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal, Protocol

from ragplatform.db.pool import connection, to_conninfo

log = logging.getLogger(__name__)

Channel = Literal["analytics", "notifications", "workflows"]
CHANNEL_NAME = "ragplatform_events"
NOTIFY_LIMIT = 7900  # PostgreSQL refuses NOTIFY payloads of 8000 bytes or more
RECONNECT_S = 1.0
READY = ""  # what a transport's ``receive`` yields first, once it is subscribed


def now_iso() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


@dataclass(frozen=True)
class PlatformEvent:
    """One event of an API 02 channel.

    ``type`` and ``data`` are the typed event the document shows (``lead_created`` and its data);
    ``owner`` is the account it belongs to (its listeners and admins receive it; None: admins only);
    ``topics`` are the document topics it also answers to (``workflow_run:<id>``), and ``envelope``
    the ``data`` of the envelope form when it differs from ``data``.
    """

    channel: Channel
    type: str
    data: dict[str, Any]
    owner: str | None = None
    topics: tuple[str, ...] = ()
    envelope: dict[str, Any] | None = None
    ts: str = field(default_factory=now_iso)

    def encode(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, default=str, separators=(",", ":"))

    @classmethod
    def decode(cls, raw: str | bytes) -> PlatformEvent:
        fields = json.loads(raw)
        fields["topics"] = tuple(fields.get("topics") or ())
        return cls(**fields)


class Transport(Protocol):
    def send(self, payload: str) -> None: ...
    def receive(self) -> AsyncIterator[str]:
        """``READY`` once subscribed, then each payload any process sends."""
        ...

    def close(self) -> None: ...


class PostgresTransport:
    """``NOTIFY``/``LISTEN`` on the platform's database (embedded or server)."""

    def __init__(self, pool: Any, database_url: str) -> None:
        self._pool = pool
        self._conninfo = to_conninfo(database_url)

    def send(self, payload: str) -> None:
        if len(payload.encode()) > NOTIFY_LIMIT:
            log.warning("event of %d bytes is too large for NOTIFY; not published", len(payload))
            return
        with connection(self._pool) as conn:
            conn.execute("SELECT pg_notify(%s, %s)", (CHANNEL_NAME, payload))

    async def receive(self) -> AsyncIterator[str]:
        import psycopg

        async with await psycopg.AsyncConnection.connect(self._conninfo, autocommit=True) as conn:
            await conn.execute(f"LISTEN {CHANNEL_NAME}")
            yield READY
            async for notice in conn.notifies():
                yield notice.payload

    def close(self) -> None:
        pass


class RedisTransport:
    """Redis pub/sub (``REDIS_URL``), for replicas that share a Redis server."""

    def __init__(self, redis_url: str) -> None:
        import redis

        self._url = redis_url
        self._client = redis.Redis.from_url(redis_url, socket_connect_timeout=2, socket_timeout=2)

    def send(self, payload: str) -> None:
        self._client.publish(CHANNEL_NAME, payload)

    async def receive(self) -> AsyncIterator[str]:
        import redis.asyncio as aioredis

        client = aioredis.Redis.from_url(self._url)
        pubsub = client.pubsub()
        try:
            await pubsub.subscribe(CHANNEL_NAME)
            yield READY
            async for message in pubsub.listen():
                if message.get("type") == "message":
                    data = message["data"]
                    yield data.decode() if isinstance(data, bytes) else str(data)
        finally:
            await pubsub.aclose()  # type: ignore[no-untyped-call]
            await client.aclose()

    def close(self) -> None:
        self._client.close()


class EventBus:
    """Publishes platform events to every listening process; ``hooks`` also hear them in this one
    (before they travel), which is how tests and in-process consumers observe without a listener."""

    def __init__(self, transport: Transport) -> None:
        self.transport = transport
        self.hooks: list[Callable[[PlatformEvent], None]] = []

    def publish(self, event: PlatformEvent) -> None:
        """Never raises: an event that cannot travel is logged, the work it reports is kept."""
        for hook in list(self.hooks):
            try:
                hook(event)
            except Exception:
                log.exception("event hook failed for %s", event.type)
        try:
            self.transport.send(event.encode())
        except Exception:
            log.warning("publishing %s failed; live listeners miss it", event.type, exc_info=True)

    async def listen(
        self, deliver: Callable[[PlatformEvent], None], ready: asyncio.Event | None = None
    ) -> None:
        """Calls ``deliver`` with every event any process publishes, until cancelled; reconnects
        after the transport drops. ``ready`` is set once the first subscription is in place."""
        while True:
            try:
                async for raw in self.transport.receive():
                    if raw == READY:
                        if ready is not None:
                            ready.set()
                        continue
                    try:
                        deliver(PlatformEvent.decode(raw))
                    except Exception:
                        log.exception("an event could not be delivered")
            except asyncio.CancelledError:
                raise
            except Exception:
                log.warning("event listener lost its connection; reconnecting", exc_info=True)
            await asyncio.sleep(RECONNECT_S)

    def close(self) -> None:
        self.transport.close()


def make_event_bus(pool: Any, database_url: str, redis_url: str | None) -> EventBus:
    return EventBus(RedisTransport(redis_url) if redis_url else PostgresTransport(pool, database_url))
