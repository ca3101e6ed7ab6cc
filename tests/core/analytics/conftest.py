"""A migrated embedded PostgreSQL for the analytics tests, emptied of leads, subscriptions and
sessions before each test so every figure is exact."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from psycopg_pool import ConnectionPool

from ragplatform.db.embedded import start_embedded_postgres, stop_embedded_postgres
from ragplatform.db.migrate import upgrade
from ragplatform.db.pool import DictConnection, make_pool


@pytest.fixture(scope="session")
def analytics_pool() -> Iterator[ConnectionPool[DictConnection]]:
    """Its folder is outside pytest's: pgserver runs as its own user when the tests run as root."""
    root = Path(tempfile.mkdtemp(prefix="ragplatform-analytics-pg-"))
    pgdata = root / "data"
    url = start_embedded_postgres(pgdata, keep_running=False)
    upgrade(url)
    pool = make_pool(url, min_size=1, max_size=4)
    yield pool
    pool.close()
    stop_embedded_postgres(pgdata)
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def pool(analytics_pool: ConnectionPool[DictConnection]) -> ConnectionPool[DictConnection]:
    with analytics_pool.connection() as conn:
        conn.execute("TRUNCATE lead, user_subscriptions, chat_session, chat_message CASCADE")
    return analytics_pool
