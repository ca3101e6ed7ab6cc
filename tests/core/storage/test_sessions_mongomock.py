"""MongoSessionStore against mongomock (CI has no MongoDB server), and without any server."""

from __future__ import annotations

import mongomock
import pytest
from contract_sessions import SessionStoreContract
from pymongo import MongoClient

from ragplatform.errors import BackendUnavailable
from ragplatform.sessions.mongo import MongoSessionStore


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
