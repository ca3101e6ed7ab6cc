"""One-time tokens (API 05's temporary sign-in token): once consumed, refused everywhere.

The ids of consumed tokens live in PostgreSQL (table ``consumed_token``), so a token exchanged on
one replica cannot be replayed on another; each id is kept until its token would have expired anyway.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from psycopg_pool import ConnectionPool

from ragplatform.db.pool import connection
from ragplatform.errors import Conflict


class OneTimeTokens:
    def __init__(self, pool: ConnectionPool[Any]) -> None:
        self._pool = pool

    def is_consumed(self, jti: str) -> bool:
        with connection(self._pool) as conn:
            row = conn.execute("SELECT 1 FROM consumed_token WHERE jti = %s", [jti]).fetchone()
        return row is not None

    def consume(self, jti: str, expires_at: datetime) -> None:
        """Marks the token used. Raises Conflict when it was used already (by any replica)."""
        with connection(self._pool) as conn:
            conn.execute("DELETE FROM consumed_token WHERE expires_at < %s", [datetime.now(UTC)])
            row = conn.execute(
                "INSERT INTO consumed_token (jti, expires_at) VALUES (%s, %s) ON CONFLICT DO NOTHING"
                " RETURNING jti",
                [jti, expires_at],
            ).fetchone()
        if row is None:
            raise Conflict("this one-time token has been used already")
