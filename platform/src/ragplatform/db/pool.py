"""psycopg 3 connection pools, and the one place driver errors become platform errors.

Stores take a pool (constructor injection) and borrow connections through
:func:`connection`, so a database that went away surfaces as
``BackendUnavailable`` rather than a driver traceback.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
from psycopg.rows import DictRow, dict_row
from psycopg_pool import ConnectionPool, PoolTimeout

from ragplatform.db.errors import map_exceptions
from ragplatform.errors import BackendUnavailable, InvalidInput

_SQLALCHEMY_SCHEME = re.compile(r"^postgres(?:ql)?\+[a-z0-9_]+://", re.IGNORECASE)

DictConnection = psycopg.Connection[DictRow]
"""A connection whose cursors return ``dict`` rows (what :func:`make_pool` hands out)."""


def to_conninfo(database_url: str) -> str:
    """Turn a SQLAlchemy-style URL (``postgresql+psycopg://``) into a libpq conninfo; others pass through."""
    return _SQLALCHEMY_SCHEME.sub("postgresql://", database_url.strip(), count=1)


def _configure(conn: psycopg.Connection[Any]) -> None:
    # Every timestamp the stores return is UTC, whatever the server's TimeZone says.
    conn.execute("SET TIME ZONE 'UTC'")
    conn.commit()


def make_pool(
    database_url: str, min_size: int = 1, max_size: int = 10, timeout: float = 10.0
) -> ConnectionPool[DictConnection]:
    """Open a pool of dict-row connections to ``database_url`` (URI, key=value or SQLAlchemy URL).

    Connections are checked before they are lent, so a restarted server costs
    no failed request. Raises ``InvalidInput`` for a malformed URL and
    ``BackendUnavailable`` when no connection can be made within ``timeout`` seconds.
    """
    if min_size < 0 or max_size < 1 or min_size > max_size:
        raise InvalidInput(
            f"pool sizes must satisfy 0 <= min_size <= max_size >= 1, got {min_size}, {max_size}"
        )
    conninfo = to_conninfo(database_url)
    try:
        psycopg.conninfo.conninfo_to_dict(conninfo)
    except psycopg.ProgrammingError as exc:
        raise InvalidInput(f"invalid database URL: {exc}", field="database_url") from exc
    pool: ConnectionPool[DictConnection] = ConnectionPool(
        conninfo,
        min_size=min_size,
        max_size=max_size,
        timeout=timeout,
        connection_class=DictConnection,
        kwargs={"row_factory": dict_row},
        configure=_configure,
        check=ConnectionPool.check_connection,
        name="ragplatform",
        open=False,
    )
    try:
        pool.open(wait=True, timeout=timeout)
    except PoolTimeout as exc:
        pool.close()
        raise BackendUnavailable(f"cannot connect to PostgreSQL within {timeout:g}s: {exc}") from exc
    return pool


@contextmanager
def connection(pool: ConnectionPool[Any]) -> Iterator[psycopg.Connection[Any]]:
    """Borrow a connection for one transaction (committed on success, rolled back on error).

    Driver errors are translated by :func:`ragplatform.db.errors.map_exceptions`: no connection
    is ``BackendUnavailable``, a value PostgreSQL refuses is ``InvalidInput``; other driver
    errors (unique violations, ...) pass through for the store to name.
    """
    with map_exceptions(), pool.connection() as conn:
        yield conn
