"""Bring a PostgreSQL database to the newest schema with Alembic, safely from any process.

The Alembic configuration is built in code and points inside the installed
package, so ``upgrade`` works from any working directory, with no
``alembic.ini``.
"""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from psycopg.conninfo import conninfo_to_dict
from sqlalchemy.engine import URL, make_url

from ragplatform.db.pool import to_conninfo
from ragplatform.errors import BackendUnavailable, InvalidInput

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"

# pg_advisory_lock key: any constant 64-bit number, the same in every process that migrates.
_MIGRATION_LOCK_KEY = 0x7261_6770_6C61_7466  # "ragplatf"


def sqlalchemy_url(database_url: str) -> URL:
    """A ``postgresql+psycopg`` SQLAlchemy URL for a libpq URI, key=value conninfo or SQLAlchemy URL.

    A unix-socket directory (``?host=/path``, as pgserver gives) stays a
    ``host`` query parameter, which psycopg understands. Raises ``InvalidInput``.
    """
    try:
        if "+" in database_url.split("://", 1)[0]:
            return make_url(database_url).set(drivername="postgresql+psycopg")
        params = {k: str(v) for k, v in conninfo_to_dict(to_conninfo(database_url)).items()}
    except Exception as exc:  # sqlalchemy.ArgumentError, psycopg.ProgrammingError
        raise InvalidInput(
            "invalid database URL: use postgresql://user@host:port/dbname", field="database_url"
        ) from exc
    host = params.pop("host", None)
    port = params.pop("port", None)
    if host and (host.startswith("/") or "," in host or host.startswith("@")):
        params["host"] = host  # socket directory or multi-host: keep it as libpq has it
        if port:
            params["port"] = port
        host = port = None
    return URL.create(
        "postgresql+psycopg",
        username=params.pop("user", None),
        password=params.pop("password", None) or None,
        host=host or None,
        port=int(port) if port else None,
        database=params.pop("dbname", None),
        query=params,
    )


def alembic_config(connection: sa.Connection | None = None) -> Config:
    """The Alembic config of the platform schema, optionally bound to an open connection."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def upgrade(database_url: str, revision: str = "head") -> None:
    """Migrate the database at ``database_url`` to ``revision`` (the newest by default).

    Idempotent. A PostgreSQL advisory lock serialises concurrent callers (two
    processes starting at once), so each revision runs exactly once. Raises
    ``InvalidInput`` for a malformed URL and ``BackendUnavailable`` when the
    database cannot be reached.
    """
    engine = sa.create_engine(sqlalchemy_url(database_url), poolclass=sa.NullPool)
    lock = sa.select(sa.func.pg_advisory_lock(_MIGRATION_LOCK_KEY))
    unlock = sa.select(sa.func.pg_advisory_unlock(_MIGRATION_LOCK_KEY))
    try:
        with engine.connect() as conn:
            conn.execute(lock)
            conn.commit()
            try:
                command.upgrade(alembic_config(conn), revision)
                conn.commit()
            finally:
                conn.rollback()
                conn.execute(unlock)
                conn.commit()
    except sa.exc.OperationalError as exc:
        raise BackendUnavailable(f"cannot migrate the database: {exc.orig or exc}") from exc
    finally:
        engine.dispose()
