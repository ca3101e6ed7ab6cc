"""A scratch database on the PostgreSQL server of this machine (``TEST_PG_URL``, default
127.0.0.1:5432), for tests of the production path; they skip with the reason where none answers."""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator

import pytest

PG_URL = os.environ.get("TEST_PG_URL") or os.environ.get(
    "REPLICAS_PG_URL", "postgresql://127.0.0.1:5432/postgres"
)


@contextlib.contextmanager
def scratch_database(prefix: str = "ragtest") -> Iterator[str]:
    """The URL of a new, empty database, dropped afterwards. Skips when the server cannot be reached."""
    import psycopg

    try:
        admin = psycopg.connect(PG_URL, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        pytest.skip(f"no PostgreSQL server at {PG_URL}: {type(exc).__name__}")
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield PG_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with psycopg.connect(PG_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
