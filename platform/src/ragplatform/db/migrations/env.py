"""Alembic environment: runs on the connection :func:`ragplatform.db.migrate.upgrade` hands over.

Falls back to ``sqlalchemy.url`` (or ``DATABASE_URL``) so the ``alembic``
command line also works with a config that sets ``script_location`` here.
"""

from __future__ import annotations

import os

from alembic import context
from sqlalchemy import Connection, create_engine, pool

config = context.config


def _run(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=None, compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    from ragplatform.db.migrate import sqlalchemy_url

    url = config.get_main_option("sqlalchemy.url") or os.environ["DATABASE_URL"]
    engine = create_engine(sqlalchemy_url(url), poolclass=pool.NullPool)
    with engine.connect() as conn:
        _run(conn)
        conn.commit()


if context.is_offline_mode():
    raise RuntimeError("offline (SQL script) migrations are not supported; run `upgrade` on a database")
run_migrations_online()
