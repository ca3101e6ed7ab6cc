"""MongoSessionStore against mongomock (CI has no MongoDB server), and without any server."""

from __future__ import annotations

import mongomock
import pytest
from contract_sessions import SessionStoreContract
from pymongo import MongoClient

from ragplatform.errors import BackendUnavailable, InvalidInput
from ragplatform.sessions.mongo import MongoSessionStore, _translate


class TestMongomockSessionStore(SessionStoreContract):
    @pytest.fixture
    def session_store(self) -> MongoSessionStore:
        return MongoSessionStore(mongomock.MongoClient(), database="ragplatform_test")

    def test_health_names_mongodb(self, session_store: MongoSessionStore) -> None:
        health = session_store.health()
        assert health["backend"] == "mongodb"
        assert health["version"].startswith("MongoDB ")


def test_unreachable_server_is_backend_unavailable() -> None:
    client: MongoClient[dict[str, object]] = MongoClient(
        "mongodb://127.0.0.1:9", serverSelectionTimeoutMS=300
    )
    try:
        with pytest.raises(BackendUnavailable, match="MongoDB is unavailable"):
            MongoSessionStore(client)
    finally:
        client.close()


def test_timestamps_are_utc_and_strictly_increasing() -> None:
    store = MongoSessionStore(mongomock.MongoClient())
    session = store.create_session("alice")
    stamps = [store.add_message(session.id, "user", str(i)).created_at for i in range(20)]
    assert all(s.utcoffset() is not None and s.utcoffset().total_seconds() == 0 for s in stamps)
    assert stamps == sorted(set(stamps))
    assert store.list_messages(session.id)[0].created_at == stamps[0]


def test_translate_passes_a_bug_through_unchanged() -> None:
    for bug in (TypeError("bug"), AttributeError("bug"), KeyError("bug"), ValueError("bug")):
        with pytest.raises(type(bug)) as raised, _translate():
            raise bug
        assert raised.value is bug


def test_values_bson_cannot_encode_are_invalid_input() -> None:
    """bson's own errors (InvalidDocument) and the OverflowError it documents for integers over
    8 bytes: the caller's metadata is refused with 422, not a 500, and with none of bson's text."""
    store = MongoSessionStore(mongomock.MongoClient())
    for metadata in ({"when": object()}, {"big": 2**70}):
        with pytest.raises(InvalidInput) as raised:
            store.create_session("alice", metadata=metadata)
        assert raised.value.field == "metadata"
        assert "8-byte" not in raised.value.message and "cannot encode" not in raised.value.message
    assert store.count_sessions() == 0
