"""A real embedded PostgreSQL (pgserver) for the storage tests, started once per test session."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg_pool import ConnectionPool

from ragplatform.db.embedded import start_embedded_postgres, stop_embedded_postgres
from ragplatform.db.migrate import upgrade
from ragplatform.db.pool import DictConnection, make_pool

TABLES = ("faq_item", "emergency_contact", "event", "document", "app_user", "chat_session", "query_log")


@pytest.fixture(scope="session")
def pg_tmp() -> Iterator[Callable[[], Path]]:
    """Make scratch directories for PostgreSQL data, removed at the end of the session.

    Not under pytest's ``tmp_path``: as root, pgserver runs the server as the
    ``pgserver`` user, and a concurrent pytest run re-closes
    ``/tmp/pytest-of-root`` to mode 0700, cutting the server off its files.
    """
    made: list[Path] = []

    def make() -> Path:
        made.append(Path(tempfile.mkdtemp(prefix="ragplatform-pg-")))
        return made[-1]

    yield make
    for path in made:
        shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="session")
def pg_dir(pg_tmp: Callable[[], Path]) -> Iterator[Path]:
    """The data directory of the session's embedded server; stopped at the end."""
    pgdata = pg_tmp() / "data"
    yield pgdata
    stop_embedded_postgres(pgdata)


@pytest.fixture(scope="session")
def pg_url(pg_dir: Path) -> str:
    """Conninfo URI of a migrated embedded PostgreSQL (unix socket, no TCP port)."""
    url = start_embedded_postgres(pg_dir, keep_running=False)
    upgrade(url)
    return url


@pytest.fixture(scope="session")
def pg_pool(pg_url: str) -> Iterator[ConnectionPool[DictConnection]]:
    pool = make_pool(pg_url, min_size=1, max_size=4)
    yield pool
    pool.close()


def truncate_all(url: str) -> None:
    """Empty every platform table, so each test starts from nothing."""
    with psycopg.connect(url) as conn:
        conn.execute("TRUNCATE " + ", ".join(TABLES) + ", chat_message RESTART IDENTITY CASCADE")


@pytest.fixture
def clean_pg(pg_url: str) -> str:
    truncate_all(pg_url)
    return pg_url


def pytest_report_header() -> str:
    return f"storage tests: MONGODB_URI {'set' if os.environ.get('MONGODB_URI') else 'not set'}"
