"""PostgresSessionStore against the embedded PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest
from contract_sessions import SessionStoreContract
from psycopg_pool import ConnectionPool

from ragplatform.sessions.postgres import PostgresSessionStore


class TestPostgresSessionStore(SessionStoreContract):
    @pytest.fixture
    def session_store(self, clean_pg: str, pg_pool: ConnectionPool[Any]) -> PostgresSessionStore:
        return PostgresSessionStore(pg_pool)

    def test_health_names_postgres(self, session_store: PostgresSessionStore) -> None:
        health = session_store.health()
        assert (health["backend"], health["sessions"]) == ("postgresql", 0)
        assert health["version"].startswith("PostgreSQL 16.")
