"""PostgresContentStore against the embedded PostgreSQL, plus what only PostgreSQL shows."""

from __future__ import annotations

from typing import Any

import pytest
from contract_content import ContentStoreContract
from psycopg_pool import ConnectionPool

from ragplatform.content.base import FaqCreate
from ragplatform.content.postgres import PostgresContentStore
from ragplatform.db.pool import make_pool
from ragplatform.errors import BackendUnavailable, InvalidInput


class TestPostgresContentStore(ContentStoreContract):
    @pytest.fixture
    def content_store(self, clean_pg: str, pg_pool: ConnectionPool[Any]) -> PostgresContentStore:
        return PostgresContentStore(pg_pool)

    def test_health_reports_postgres_16_and_tables(self, content_store: PostgresContentStore) -> None:
        health = content_store.health()
        assert health["version"].startswith("PostgreSQL 16.")
        assert {"faq_item", "event", "emergency_contact", "document", "app_user", "query_log"} <= set(
            health["tables"]
        )
        assert "alembic_version" not in health["tables"]

    def test_nul_character_is_invalid_input(self, content_store: PostgresContentStore) -> None:
        with pytest.raises(InvalidInput, match="NUL"):
            content_store.create_faq(FaqCreate(question="a\x00b", answer="x"))


def test_unreachable_database_is_backend_unavailable(tmp_path: Any) -> None:
    with pytest.raises(BackendUnavailable, match="cannot connect to PostgreSQL"):
        make_pool(f"postgresql://postgres@/postgres?host={tmp_path}", timeout=1)


def test_closed_pool_is_backend_unavailable(pg_url: str) -> None:
    pool = make_pool(pg_url, min_size=0, max_size=1)
    store = PostgresContentStore(pool)
    pool.close()
    with pytest.raises(BackendUnavailable):
        store.list_faqs()
    with pytest.raises(BackendUnavailable):
        store.health()


def test_sqlalchemy_style_url_is_accepted(pg_url: str) -> None:
    url = pg_url.replace("postgresql://", "postgresql+psycopg://")
    pool = make_pool(url, min_size=0, max_size=1)
    try:
        assert PostgresContentStore(pool).health()["status"] == "healthy"
    finally:
        pool.close()
