"""SessionStore on PostgreSQL: ``chat_session`` and ``chat_message`` with JSONB metadata.

Messages keep their insertion order in ``seq`` (clock ties cannot reorder a
conversation); adding a message locks its session row, so concurrent writers
to one session are serialised.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any, LiteralString, get_args

import psycopg
from psycopg import errors as pg_errors
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb
from psycopg_pool import ConnectionPool

from ragplatform.content.postgres import check_page, escape_like
from ragplatform.db.pool import connection
from ragplatform.errors import BackendUnavailable, Conflict, InvalidInput, NotFound
from ragplatform.sessions.base import (
    Message,
    MessageRole,
    Session,
    SessionSearchResult,
    SessionSummary,
)
from ragplatform.timestamps import to_utc

log = logging.getLogger(__name__)

MAX_ID_LENGTH = 200


def check_role(role: str | None) -> None:
    if role is not None and role not in get_args(MessageRole):
        raise InvalidInput(
            f"role must be one of {list(get_args(MessageRole))}, got {role!r}", field="role", value=role
        )


def check_text(name: str, value: object, *, allow_empty: bool = False) -> str:
    """Refuse non-strings (a dict here is an injection attempt) and, unless allowed, empty ones."""
    if not isinstance(value, str):
        raise InvalidInput(f"{name} must be a string, got {type(value).__name__}", field=name)
    if not allow_empty and not value.strip():
        raise InvalidInput(f"{name} must not be empty", field=name)
    return value


def check_windows(windows: Sequence[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    """``[start, end)`` windows as aware UTC pairs. Raises InvalidInput for one that ends before it starts."""
    checked = [(to_utc(start, field="start"), to_utc(end, field="end")) for start, end in windows]
    for i, (start, end) in enumerate(checked):
        if end < start:
            raise InvalidInput(
                f"window {i} ends ({end.isoformat()}) before it starts ({start.isoformat()})",
                field="windows",
                value=i,
            )
    return checked


def check_metadata(metadata: object) -> dict[str, Any]:
    if metadata is None:
        return {}
    if not isinstance(metadata, dict):
        raise InvalidInput(f"metadata must be an object, got {type(metadata).__name__}", field="metadata")
    return metadata


class PostgresSessionStore:
    """Chat sessions and messages in PostgreSQL (the embedded default; see ``make_pool``/``upgrade``)."""

    def __init__(self, pool: ConnectionPool[Any]) -> None:
        self._pool = pool

    @contextmanager
    def _cursor(self) -> Iterator[psycopg.Cursor[dict[str, Any]]]:
        with connection(self._pool) as conn, conn.cursor(row_factory=dict_row) as cur:
            yield cur

    def _fetch(
        self, query: LiteralString, params: Sequence[Any] | Mapping[str, Any] = ()
    ) -> list[dict[str, Any]]:
        with self._cursor() as cur:
            cur.execute(query, params)
            return cur.fetchall()

    @staticmethod
    def _session(row: dict[str, Any]) -> Session:
        return Session(
            id=row["id"],
            user_id=row["user_id"],
            title=row["title"],
            metadata=row["metadata"],
            created_at=to_utc(row["created_at"]),
            updated_at=to_utc(row["updated_at"]),
        )

    @staticmethod
    def _message(row: dict[str, Any]) -> Message:
        return Message(
            id=row["id"],
            session_id=row["session_id"],
            role=row["role"],
            content=row["content"],
            metadata=row["metadata"],
            created_at=to_utc(row["created_at"]),
        )

    # -- sessions -------------------------------------------------------------

    def create_session(
        self,
        user_id: str,
        title: str = "",
        metadata: dict[str, Any] | None = None,
        session_id: str | None = None,
    ) -> Session:
        """A new session, with a UUID4 id unless ``session_id`` is given. Raises ``Conflict``, ``InvalidInput``."""
        check_text("user_id", user_id)
        check_text("title", title, allow_empty=True)
        if session_id is None:
            session_id = str(uuid.uuid4())
        elif len(check_text("session_id", session_id)) > MAX_ID_LENGTH:
            raise InvalidInput(
                f"session_id must be at most {MAX_ID_LENGTH} characters, got {len(session_id)}",
                field="session_id",
            )
        try:
            rows = self._fetch(
                "INSERT INTO chat_session (id, user_id, title, metadata) VALUES (%s, %s, %s, %s) RETURNING *",
                [session_id, user_id, title, Jsonb(check_metadata(metadata))],
            )
        except pg_errors.UniqueViolation as exc:
            raise Conflict(f"session {session_id} already exists") from exc
        return self._session(rows[0])

    def get_session(self, session_id: str) -> Session:
        rows = self._fetch("SELECT * FROM chat_session WHERE id = %s", [check_text("session_id", session_id)])
        if not rows:
            raise NotFound(f"session {session_id} not found")
        return self._session(rows[0])

    def list_sessions(self, user_id: str | None = None, skip: int = 0, limit: int = 100) -> list[Session]:
        """Newest (by ``updated_at``) first."""
        check_page(skip, limit)
        if user_id is not None:
            check_text("user_id", user_id)
        rows = self._fetch(
            "SELECT * FROM chat_session WHERE (%(user)s::text IS NULL OR user_id = %(user)s)"
            " ORDER BY updated_at DESC, created_at DESC, id OFFSET %(skip)s LIMIT %(limit)s",
            {"user": user_id, "skip": skip, "limit": limit},
        )
        return [self._session(r) for r in rows]

    def count_sessions(self, user_id: str | None = None) -> int:
        if user_id is not None:
            check_text("user_id", user_id)
        rows = self._fetch(
            "SELECT count(*) AS n FROM chat_session WHERE (%(user)s::text IS NULL OR user_id = %(user)s)",
            {"user": user_id},
        )
        return int(rows[0]["n"])

    def update_session(
        self, session_id: str, title: str | None = None, metadata: dict[str, Any] | None = None
    ) -> Session:
        """Set the title and/or merge ``metadata`` (shallow) into the stored one; bumps ``updated_at``."""
        check_text("session_id", session_id)
        if title is not None:
            check_text("title", title, allow_empty=True)
        rows = self._fetch(
            "UPDATE chat_session SET title = coalesce(%s, title), metadata = metadata || %s,"
            " updated_at = now() WHERE id = %s RETURNING *",
            [title, Jsonb(check_metadata(metadata)), session_id],
        )
        if not rows:
            raise NotFound(f"session {session_id} not found")
        return self._session(rows[0])

    def delete_session(self, session_id: str) -> None:
        """Deletes the session and (by cascade) its messages."""
        rows = self._fetch(
            "DELETE FROM chat_session WHERE id = %s RETURNING id", [check_text("session_id", session_id)]
        )
        if not rows:
            raise NotFound(f"session {session_id} not found")

    # -- messages -----------------------------------------------------------------

    def add_message(
        self, session_id: str, role: MessageRole, content: str, metadata: dict[str, Any] | None = None
    ) -> Message:
        """Append a message and bump the session's ``updated_at``. Raises ``NotFound``, ``InvalidInput``."""
        check_text("session_id", session_id)
        check_role(role)
        check_text("content", content, allow_empty=True)
        meta = Jsonb(check_metadata(metadata))
        with self._cursor() as cur:
            cur.execute("UPDATE chat_session SET updated_at = now() WHERE id = %s RETURNING id", [session_id])
            if cur.fetchone() is None:
                raise NotFound(f"session {session_id} not found")
            cur.execute(
                "INSERT INTO chat_message (id, session_id, role, content, metadata)"
                " VALUES (%s, %s, %s, %s, %s) RETURNING *",
                [str(uuid.uuid4()), session_id, role, content, meta],
            )
            row = cur.fetchone()
        assert row is not None
        return self._message(row)

    def get_message(self, message_id: str) -> Message:
        rows = self._fetch("SELECT * FROM chat_message WHERE id = %s", [check_text("message_id", message_id)])
        if not rows:
            raise NotFound(f"message {message_id} not found")
        return self._message(rows[0])

    def update_message(
        self, message_id: str, content: str | None = None, metadata: dict[str, Any] | None = None
    ) -> Message:
        """Replace the content and/or merge ``metadata`` (shallow), e.g. after a streamed answer ends."""
        check_text("message_id", message_id)
        if content is not None:
            check_text("content", content, allow_empty=True)
        rows = self._fetch(
            "UPDATE chat_message SET content = coalesce(%s, content), metadata = metadata || %s"
            " WHERE id = %s RETURNING *",
            [content, Jsonb(check_metadata(metadata)), message_id],
        )
        if not rows:
            raise NotFound(f"message {message_id} not found")
        return self._message(rows[0])

    def list_messages(self, session_id: str, limit: int | None = None) -> list[Message]:
        """Oldest first; with ``limit``, the last ``limit`` messages. Raises ``NotFound`` for an unknown session."""
        check_text("session_id", session_id)
        if limit is not None:
            check_page(0, limit)
        with self._cursor() as cur:
            cur.execute("SELECT 1 FROM chat_session WHERE id = %s", [session_id])
            if cur.fetchone() is None:
                raise NotFound(f"session {session_id} not found")
            cur.execute(
                "SELECT * FROM (SELECT * FROM chat_message WHERE session_id = %s ORDER BY seq DESC LIMIT %s) m"
                " ORDER BY seq",
                [session_id, limit],
            )
            rows = cur.fetchall()
        return [self._message(r) for r in rows]

    def count_messages(self, session_id: str) -> int:
        """Messages stored in the session. Raises ``NotFound`` for an unknown session."""
        check_text("session_id", session_id)
        rows = self._fetch(
            "SELECT (SELECT count(*) FROM chat_message WHERE session_id = s.id) AS n"
            " FROM chat_session s WHERE s.id = %(id)s",
            {"id": session_id},
        )
        if not rows:
            raise NotFound(f"session {session_id} not found")
        return int(rows[0]["n"])

    def history(self, user_id: str, n: int = 3) -> list[tuple[str, str]]:
        """The user's last ``n`` (question, answer) pairs across sessions, oldest first.

        A pair is a user message and the assistant message that directly
        follows it in the same session (system messages skipped).
        """
        check_text("user_id", user_id)
        if n < 0:
            raise InvalidInput(f"n must be >= 0, got {n}", field="n", value=n)
        if n == 0:
            return []
        rows = self._fetch(
            """
            SELECT question, answer FROM (
                SELECT m.role, m.content AS question, m.created_at, m.seq,
                       lead(m.role) OVER w AS next_role, lead(m.content) OVER w AS answer
                FROM chat_message m JOIN chat_session s ON s.id = m.session_id
                WHERE s.user_id = %s AND m.role IN ('user', 'assistant')
                WINDOW w AS (PARTITION BY m.session_id ORDER BY m.seq)
            ) t
            WHERE role = 'user' AND next_role = 'assistant'
            ORDER BY created_at DESC, seq DESC
            LIMIT %s
            """,
            [user_id, n],
        )
        return [(r["question"], r["answer"]) for r in reversed(rows)]

    def search_messages(
        self,
        user_id: str | None = None,
        text: str | None = None,
        role: MessageRole | None = None,
        unanswered: bool | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int = 100,
        resolved: bool | None = None,
        skip: int = 0,
    ) -> list[Message]:
        """Newest first. ``text``: case-insensitive substring; ``unanswered`` reads ``metadata.unanswered``,
        ``resolved`` whether ``metadata.resolved`` is set (not null); ``since``/``until`` are inclusive
        (naive values are UTC)."""
        check_page(skip, limit)
        check_role(role)
        if user_id is not None:
            check_text("user_id", user_id)
        if text is not None:
            check_text("text", text, allow_empty=True)
        rows = self._fetch(
            """
            SELECT m.* FROM chat_message m JOIN chat_session s ON s.id = m.session_id
            WHERE (%(user)s::text IS NULL OR s.user_id = %(user)s)
              AND (%(text)s::text IS NULL OR m.content ILIKE %(text)s)
              AND (%(role)s::text IS NULL OR m.role = %(role)s)
              AND (%(unanswered)s::boolean IS NULL
                   OR (m.metadata @> '{"unanswered": true}'::jsonb) = %(unanswered)s)
              AND (%(since)s::timestamptz IS NULL OR m.created_at >= %(since)s)
              AND (%(until)s::timestamptz IS NULL OR m.created_at <= %(until)s)
              AND (%(resolved)s::boolean IS NULL
                   OR (coalesce(jsonb_typeof(m.metadata -> 'resolved'), 'null') <> 'null') = %(resolved)s)
            ORDER BY m.created_at DESC, m.seq DESC
            OFFSET %(skip)s LIMIT %(limit)s
            """,
            {
                "user": user_id,
                "text": escape_like(text) if text else None,
                "role": role,
                "unanswered": unanswered,
                "since": to_utc(since) if since else None,
                "until": to_utc(until) if until else None,
                "resolved": resolved,
                "skip": skip,
                "limit": limit,
            },
        )
        return [self._message(r) for r in rows]

    def search_sessions(
        self,
        user_id: str | None = None,
        text: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        skip: int = 0,
        limit: int = 50,
    ) -> SessionSearchResult:
        """Sessions newest first with their counts; ``text`` matches the title or any message,
        ``since``/``until`` keep sessions active in that window. Raises ``InvalidInput``."""
        check_page(skip, limit)
        if user_id is not None:
            check_text("user_id", user_id)
        if text is not None:
            check_text("text", text, allow_empty=True)
        params = {
            "user": user_id,
            "text": escape_like(text) if text else None,
            "since": to_utc(since) if since else None,
            "until": to_utc(until) if until else None,
            "skip": skip,
            "limit": limit,
        }
        where = """
            (%(user)s::text IS NULL OR s.user_id = %(user)s)
            AND (%(since)s::timestamptz IS NULL OR s.updated_at >= %(since)s)
            AND (%(until)s::timestamptz IS NULL OR s.created_at <= %(until)s)
            AND (%(text)s::text IS NULL OR s.title ILIKE %(text)s OR EXISTS (
                SELECT 1 FROM chat_message t WHERE t.session_id = s.id AND t.content ILIKE %(text)s))
        """
        total = self._fetch("SELECT count(*) AS n FROM chat_session s WHERE" + where, params)[0]["n"]
        rows = self._fetch(
            "SELECT s.*,"
            " (SELECT count(*) FROM chat_message c WHERE c.session_id = s.id) AS message_count,"
            " (SELECT count(*) FROM chat_message c WHERE c.session_id = s.id AND c.role = 'assistant'"
            "  AND c.metadata @> '{\"unanswered\": true}'::jsonb) AS unanswered_count"
            " FROM chat_session s WHERE"
            + where
            + " ORDER BY s.updated_at DESC, s.created_at DESC, s.id OFFSET %(skip)s LIMIT %(limit)s",
            params,
        )
        sessions = [
            SessionSummary(
                **self._session(r).model_dump(),
                message_count=int(r["message_count"]),
                unanswered_count=int(r["unanswered_count"]),
            )
            for r in rows
        ]
        return SessionSearchResult(sessions=sessions, total=int(total))

    def count_active_sessions(
        self, windows: Sequence[tuple[datetime, datetime]], user_id: str | None = None
    ) -> list[int]:
        """For each ``[start, end)`` window, the sessions (``user_id``'s, or everyone's) with a message
        created in it, in one query. Raises ``InvalidInput``."""
        checked = check_windows(windows)
        if user_id is not None:
            check_text("user_id", user_id)
        if not checked:
            return []
        rows = self._fetch(
            """
            SELECT w.i, count(DISTINCT m.session_id) AS n
            FROM unnest(%(starts)s::timestamptz[], %(ends)s::timestamptz[]) WITH ORDINALITY AS w(s, e, i)
            LEFT JOIN chat_message m ON m.created_at >= w.s AND m.created_at < w.e
                AND (%(user)s::text IS NULL
                     OR m.session_id IN (SELECT id FROM chat_session WHERE user_id = %(user)s))
            GROUP BY w.i ORDER BY w.i
            """,
            {"starts": [s for s, _ in checked], "ends": [e for _, e in checked], "user": user_id},
        )
        return [int(r["n"]) for r in rows]

    def health(self) -> dict[str, Any]:
        """``{"status": "healthy", "backend": "postgresql", "version": ..., "sessions": n}``; raises ``BackendUnavailable``."""
        try:
            rows = self._fetch(
                "SELECT current_setting('server_version') AS version, (SELECT count(*) FROM chat_session) AS n"
            )
        except psycopg.Error as exc:
            log.warning("PostgreSQL health check failed", exc_info=True)
            raise BackendUnavailable("PostgreSQL health check failed (see the server log)") from exc
        version = rows[0]["version"].split()[0]
        return {
            "status": "healthy",
            "backend": "postgresql",
            "version": f"PostgreSQL {version}",
            "sessions": rows[0]["n"],
        }
