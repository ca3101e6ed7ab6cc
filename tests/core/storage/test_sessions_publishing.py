"""PublishingSessionStore: still a whole SessionStore (the contract suite, around mongomock), and
it tells the analytics channel of each stored message and each deleted session, with the owner
that decides who hears it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import mongomock
import pytest
from contract_sessions import SessionStoreContract

from ragplatform.errors import NotFound
from ragplatform.events import EventBus, PlatformEvent
from ragplatform.sessions.mongo import MongoSessionStore
from ragplatform.sessions.publishing import PublishingSessionStore


class NoTransport:
    def send(self, payload: str) -> None:
        pass

    async def receive(self) -> AsyncIterator[str]:  # pragma: no cover - never listened to here
        return
        yield ""

    def close(self) -> None:
        pass


def publishing_store() -> tuple[PublishingSessionStore, list[PlatformEvent]]:
    bus = EventBus(NoTransport())
    told: list[PlatformEvent] = []
    bus.hooks.append(told.append)
    return PublishingSessionStore(MongoSessionStore(mongomock.MongoClient()), bus), told


class TestPublishingSessionStore(SessionStoreContract):
    @pytest.fixture
    def session_store(self) -> PublishingSessionStore:
        return publishing_store()[0]


def test_each_stored_message_is_told_with_its_owner() -> None:
    store, told = publishing_store()
    session = store.create_session("alice-id")
    question = store.add_message(session.id, "user", "hello?")
    answer = store.add_message(session.id, "assistant", "hello!")
    assert [(e.channel, e.type, e.owner) for e in told] == [("analytics", "message_created", "alice-id")] * 2
    assert told[0].data == {
        "conversation_id": session.id,
        "message_id": question.id,
        "user_id": "alice-id",
        "created_at": question.created_at.isoformat(),
    }
    assert told[1].data["message_id"] == answer.id
    store.update_message(answer.id, content="edited")  # an edit creates nothing
    assert len(told) == 2


def test_a_deleted_session_is_told_once_and_open_sessions_go_to_admins_only() -> None:
    store, told = publishing_store()
    session = store.create_session("open:visitor")
    store.add_message(session.id, "user", "hi")
    store.delete_session(session.id)
    assert [(e.type, e.owner) for e in told] == [("message_created", None), ("conversation_deleted", None)]
    assert told[1].data["conversation_id"] == session.id
    assert told[1].data["user_id"] == "open:visitor"
    assert told[1].data["deleted_at"].endswith("Z")
    with pytest.raises(NotFound, match="not found"):
        store.delete_session(session.id)
    with pytest.raises(NotFound):
        store.add_message(session.id, "user", "anyone?")
    assert len(told) == 2
