"""Uploads against real stores: an embedded PostgreSQL (pgserver) for the session, a LanceDB folder
and a files folder per test (helpers in ``documents_stores.py``)."""

from __future__ import annotations

import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from documents_stores import Stores, make_service
from psycopg_pool import ConnectionPool

from ragplatform.content.postgres import PostgresContentStore
from ragplatform.db.embedded import start_embedded_postgres, stop_embedded_postgres
from ragplatform.db.migrate import upgrade
from ragplatform.db.pool import DictConnection, make_pool


@pytest.fixture(scope="session")
def pg_pool() -> Iterator[ConnectionPool[DictConnection]]:
    """A migrated embedded PostgreSQL; its folder is outside pytest's (pgserver runs as its own
    user when the tests run as root, and pytest's folders are mode 0700)."""
    root = Path(tempfile.mkdtemp(prefix="ragplatform-docs-pg-"))
    pgdata = root / "data"
    url = start_embedded_postgres(pgdata, keep_running=False)
    upgrade(url)
    pool = make_pool(url, min_size=1, max_size=4)
    yield pool
    pool.close()
    stop_embedded_postgres(pgdata)
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def content(pg_pool: ConnectionPool[DictConnection]) -> PostgresContentStore:
    return PostgresContentStore(pg_pool)


@pytest.fixture
def stores(tmp_path: Path, content: PostgresContentStore) -> Stores:
    """This test's stores; a fresh owner, so counts never see another test's uploads."""
    return Stores(tmp_path, make_service(tmp_path, content), owner=f"user-{uuid.uuid4().hex[:8]}")
