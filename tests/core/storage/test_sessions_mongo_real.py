"""MongoSessionStore against a real MongoDB server, when ``MONGODB_URI`` names one."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from contract_sessions import SessionStoreContract
from pymongo import MongoClient

from ragplatform.sessions.mongo import MongoSessionStore

MONGODB_URI = os.environ.get("MONGODB_URI")

pytestmark = [
    pytest.mark.mongodb,
    pytest.mark.skipif(not MONGODB_URI, reason="MONGODB_URI is not set: no MongoDB server to test against"),
]


class TestRealMongoSessionStore(SessionStoreContract):
    @pytest.fixture
    def session_store(self) -> Iterator[MongoSessionStore]:
        assert MONGODB_URI is not None
        client: MongoClient[dict[str, object]] = MongoClient(MONGODB_URI, serverSelectionTimeoutMS=5000)
        database = f"ragplatform_test_{uuid.uuid4().hex[:8]}"
        try:
            yield MongoSessionStore(client, database=database)
        finally:
            client.drop_database(database)
            client.close()
