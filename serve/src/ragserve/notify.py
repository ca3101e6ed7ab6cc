"""Admin notifications ("I don't know" answers) fanned out to WebSocket listeners (``WS /notify``
of API 01), across every replica; and ``TopicHub``, the same fan-out addressed by topic
(``user:<id>``...) for API 02's channels.

Answers are produced in worker threads. Without ``REDIS_URL`` ``publish_threadsafe`` hands the
notification to this process's event loop; with it, the notification is published on a Redis
channel and every replica (this one included) delivers what it receives to its own listeners, so
a question answered on one replica reaches a listener connected to another.

Each notification says whose session it is about; a listener receives it only if it may read that
session (``may_receive``): admins everything, a signed-in listener its own sessions, a listener
without a token the exchanges of open (anonymous) sessions when ``SERVE__NOTIFY_OPEN_STREAM`` is on.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

from ragplatform.answering.service import Answer
from ragplatform.content.base import User
from ragplatform.errors import NotFound
from ragplatform.events import PlatformEvent
from ragplatform.factory import Platform
from ragplatform.sessions.owners import client_user_id

log = logging.getLogger(__name__)

QUEUE_SIZE = 100
CHANNEL = "ragplatform:notifications"
T = TypeVar("T")


@dataclass(frozen=True)
class Notification:
    """A message for listeners, and whose session it is about (``owner``; ``private`` for accounts)."""

    message: dict[str, Any]
    owner: str
    private: bool


@dataclass(frozen=True)
class Listener:
    user: User | None
    open_stream: bool


def may_receive(listener: Listener, notification: Notification) -> bool:
    user = listener.user
    if user is not None and (user.role == "admin" or user.id == notification.owner):
        return True
    return listener.open_stream and not notification.private


class Subscription:
    def __init__(self, listener: Listener) -> None:
        self.listener = listener
        self.queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(QUEUE_SIZE)

    def offer(self, notification: Notification) -> None:
        if not may_receive(self.listener, notification):
            return
        if self.queue.full():  # a slow listener loses its oldest message, never blocks the others
            self.queue.get_nowait()
        self.queue.put_nowait(notification.message)


class RedisFanout(Generic[T]):
    """Delivery to this process's listeners; Redis pub/sub between processes when ``redis_url`` is
    set. Subclasses name the Redis ``channel``, say how an item travels (``encode``/``decode``) and
    whom it reaches here (``deliver``)."""

    channel = CHANNEL

    def __init__(self, redis_url: str | None = None) -> None:
        self._redis_url = redis_url
        self._loop: asyncio.AbstractEventLoop | None = None
        self._publisher: Any = None
        self._reader: asyncio.Task[None] | None = None
        self._subscribed = asyncio.Event()

    def encode(self, item: T) -> str:
        raise NotImplementedError

    def decode(self, raw: Any) -> T:
        """Raises ValueError, KeyError or TypeError for a malformed item."""
        raise NotImplementedError

    def deliver(self, item: T) -> None:
        """On the event loop: hands ``item`` to this process's listeners."""
        raise NotImplementedError

    async def start(self) -> None:
        """Binds to the running loop; with Redis, subscribes before the first request is served."""
        self._loop = asyncio.get_running_loop()
        if not self._redis_url:
            return
        import redis

        self._publisher = redis.Redis.from_url(self._redis_url, socket_connect_timeout=2, socket_timeout=2)
        self._reader = asyncio.create_task(self._read(), name=f"{self.channel}-redis")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._subscribed.wait(), timeout=5)

    async def stop(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._reader
            self._reader = None
        if self._publisher is not None:
            self._publisher.close()
            self._publisher = None

    def publish_threadsafe(self, item: T) -> None:
        """From any thread: to every replica's listeners (Redis), or to this process's."""
        if self._publisher is not None:
            try:
                self._publisher.publish(self.channel, self.encode(item))
                return
            except Exception:  # Redis down: this replica's listeners still hear it
                log.warning(
                    "publishing to Redis channel %s failed; delivering locally", self.channel, exc_info=True
                )
        if self._loop is None or self._loop.is_closed():
            log.debug("%s item dropped: hub not started", self.channel)
            return
        self._loop.call_soon_threadsafe(self.deliver, item)

    async def _read(self) -> None:
        """Delivers what the channel carries; reconnects after a Redis outage."""
        import redis.asyncio as aioredis

        while True:
            client = aioredis.Redis.from_url(self._redis_url or "")
            try:
                async with client.pubsub() as pubsub:
                    await pubsub.subscribe(self.channel)
                    self._subscribed.set()
                    async for item in pubsub.listen():
                        if item.get("type") == "message":
                            self._deliver_raw(item["data"])
            except asyncio.CancelledError:
                raise
            except Exception:
                log.warning("channel %s lost; reconnecting", self.channel, exc_info=True)
                await asyncio.sleep(1.0)
            finally:
                with contextlib.suppress(Exception):
                    await client.aclose()

    def _deliver_raw(self, data: bytes | str) -> None:
        try:
            self.deliver(self.decode(json.loads(data)))
        except (ValueError, KeyError, TypeError):
            log.warning("ignored a malformed item on %s", self.channel)


class NotificationHub(RedisFanout[Notification]):
    """API 01's ``new_session`` notifications, offered to each listener that may read them."""

    def __init__(self, redis_url: str | None = None) -> None:
        super().__init__(redis_url)
        self._subscriptions: set[Subscription] = set()

    @property
    def connections(self) -> int:
        return len(self._subscriptions)

    def subscribe(self, listener: Listener) -> Subscription:
        subscription = Subscription(listener)
        self._subscriptions.add(subscription)
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        self._subscriptions.discard(subscription)

    def encode(self, item: Notification) -> str:
        return json.dumps(asdict(item), ensure_ascii=False)

    def decode(self, raw: Any) -> Notification:
        return Notification(message=raw["message"], owner=raw["owner"], private=raw["private"])

    def deliver(self, item: Notification) -> None:
        for subscription in list(self._subscriptions):
            subscription.offer(item)


# -- topics (API 02's channels) -------------------------------------------------------------------


def event_keys(event: PlatformEvent) -> frozenset[str]:
    """The hub keys an event answers to: ``<channel>:*`` (everything of its channel),
    ``<channel>:user:<owner>`` and ``<channel>:<topic>`` for each of its document topics."""
    channel = event.channel
    keys = {f"{channel}:*", *(f"{channel}:{topic}" for topic in event.topics)}
    if event.owner:
        keys.add(f"{channel}:user:{event.owner}")
    return frozenset(keys)


class TopicSubscription:
    """One socket's hub keys (which the channel decided it may hear) and the queue its sender
    drains; an event matching several keys arrives once."""

    def __init__(self, keys: set[str]) -> None:
        self.keys = set(keys)
        self.queue: asyncio.Queue[PlatformEvent] = asyncio.Queue(QUEUE_SIZE)

    def offer(self, event: PlatformEvent, keys: frozenset[str]) -> None:
        if self.keys.isdisjoint(keys):
            return
        if self.queue.full():  # a slow listener loses its oldest event, never blocks the others
            self.queue.get_nowait()
        self.queue.put_nowait(event)


class TopicHub:
    """This process's API 02 WebSocket listeners, fed by the platform's ``EventBus`` (which carries
    events between processes and replicas: Redis when ``REDIS_URL`` is set, PostgreSQL otherwise).
    Who may hear which key is the channel's decision, made before ``subscribe``."""

    def __init__(self) -> None:
        self._subscriptions: set[TopicSubscription] = set()

    @property
    def connections(self) -> int:
        return len(self._subscriptions)

    def subscribe(self, keys: set[str]) -> TopicSubscription:
        subscription = TopicSubscription(keys)
        self._subscriptions.add(subscription)
        return subscription

    def unsubscribe(self, subscription: TopicSubscription) -> None:
        self._subscriptions.discard(subscription)

    def deliver(self, event: PlatformEvent) -> None:
        """On the event loop: to every subscription whose keys the event answers to."""
        keys = event_keys(event)
        for subscription in list(self._subscriptions):
            subscription.offer(event, keys)


def new_session_notification(platform: Platform, question: str, answer: Answer, user_id: str) -> Notification:
    """The ``new_session`` message of API 01, built from the stored session."""
    meta: dict[str, Any] = {}
    created_at = ""
    owner = user_id
    try:
        session = platform.sessions.get_session(answer.session_id)
        meta, created_at, owner = session.metadata, session.created_at.isoformat(), session.user_id
    except NotFound:
        pass
    message = {
        "type": "new_session",
        "timestamp": datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S"),
        "data": {
            "session_id": answer.session_id,
            "factor": meta.get("factor", "user"),
            "action": meta.get("action", "asking_freely"),
            "created_at": created_at,
            "first_name": meta.get("first_name", ""),
            "last_name": meta.get("last_name", ""),
            "message": question,
            "response": answer.answer,
            "user_id": client_user_id(user_id),
            "username": meta.get("username", ""),
        },
    }
    return Notification(message=message, owner=owner, private=bool(meta.get("private")))
