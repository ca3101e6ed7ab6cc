"""QueryLog on PostgreSQL (table ``query_log``); percentiles computed by the database, with the
definition of ``ragplatform.metrics.percentiles``."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from psycopg import sql
from psycopg_pool import ConnectionPool

from ragplatform.db.pool import connection
from ragplatform.errors import InvalidInput
from ragplatform.metrics.base import DailyUsage, QueryRecord, UsageSummary
from ragplatform.metrics.percentiles import sql_percentile

COLUMNS = (
    "question",
    "user_id",
    "session_id",
    "latency_ms",
    "retrieval_ms",
    "generation_ms",
    "unanswered",
    "prompt_tokens",
    "completion_tokens",
    "index_version",
    "generator",
    "source",
)


def _where(
    since: datetime | None, until: datetime | None, user_id: str | None = None, session_id: str | None = None
) -> tuple[sql.Composable, list[Any]]:
    parts: list[sql.Composable] = [sql.SQL("TRUE")]
    params: list[Any] = []
    for column, op, value in (
        ("created_at", ">=", since),
        ("created_at", "<", until),
        ("user_id", "=", user_id),
        ("session_id", "=", session_id),
    ):
        if value is not None:
            parts.append(sql.SQL("{} {} %s").format(sql.Identifier(column), sql.SQL(op)))
            params.append(value)
    return sql.SQL(" AND ").join(parts), params


class PostgresQueryLog:
    def __init__(self, pool: ConnectionPool[Any]) -> None:
        self._pool = pool

    def record(self, entry: QueryRecord) -> None:
        query = sql.SQL("INSERT INTO query_log ({}) VALUES ({})").format(
            sql.SQL(", ").join(map(sql.Identifier, COLUMNS)),
            sql.SQL(", ").join(sql.Placeholder() * len(COLUMNS)),
        )
        with connection(self._pool) as conn:
            conn.execute(query, [getattr(entry, c) for c in COLUMNS])

    def summary(
        self,
        since: datetime | None = None,
        until: datetime | None = None,
        user_id: str | None = None,
        session_id: str | None = None,
    ) -> UsageSummary:
        if since and until and until < since:
            raise InvalidInput("'until' must not be before 'since'", field="until", value=until)
        where, params = _where(since, until, user_id, session_id)
        query = sql.SQL(
            "SELECT count(*) AS questions, count(*) FILTER (WHERE unanswered) AS unanswered,"
            " {} AS p50, {} AS p95,"
            " coalesce(sum(prompt_tokens), 0) AS prompt_tokens,"
            " coalesce(sum(completion_tokens), 0) AS completion_tokens,"
            " min(created_at) AS first_at, max(created_at) AS last_at"
            " FROM query_log WHERE {}"
        ).format(sql_percentile(0.5, "latency_ms"), sql_percentile(0.95, "latency_ms"), where)
        with connection(self._pool) as conn:
            row = conn.execute(query, params).fetchone()
        assert row is not None
        questions = int(row["questions"])
        unanswered = int(row["unanswered"])
        return UsageSummary(
            questions=questions,
            unanswered=unanswered,
            unanswered_rate=unanswered / questions if questions else 0.0,
            latency_p50_ms=row["p50"],
            latency_p95_ms=row["p95"],
            prompt_tokens=int(row["prompt_tokens"]),
            completion_tokens=int(row["completion_tokens"]),
            first_at=row["first_at"],
            last_at=row["last_at"],
        )

    def per_day(
        self,
        since: datetime | None = None,
        until: datetime | None = None,
        user_id: str | None = None,
        session_id: str | None = None,
    ) -> list[DailyUsage]:
        where, params = _where(since, until, user_id, session_id)
        query = sql.SQL(
            "SELECT (created_at AT TIME ZONE 'UTC')::date AS day, count(*) AS questions,"
            " count(*) FILTER (WHERE unanswered) AS unanswered, {} AS p50, {} AS p95"
            " FROM query_log WHERE {} GROUP BY day ORDER BY day"
        ).format(sql_percentile(0.5, "latency_ms"), sql_percentile(0.95, "latency_ms"), where)
        with connection(self._pool) as conn:
            rows = conn.execute(query, params).fetchall()
        return [
            DailyUsage(r["day"], int(r["questions"]), int(r["unanswered"]), r["p50"], r["p95"]) for r in rows
        ]

    def top_questions(
        self, limit: int = 10, since: datetime | None = None, until: datetime | None = None
    ) -> list[tuple[str, int]]:
        if not 1 <= limit <= 1000:
            raise InvalidInput(f"limit must be between 1 and 1000, got {limit}", field="limit", value=limit)
        where, params = _where(since, until)
        query = sql.SQL(
            "SELECT min(question) AS question, count(*) AS n FROM query_log WHERE {}"
            " GROUP BY lower(regexp_replace(btrim(question), '\\s+', ' ', 'g'))"
            " ORDER BY n DESC, question LIMIT %s"
        ).format(where)
        with connection(self._pool) as conn:
            rows = conn.execute(query, [*params, limit]).fetchall()
        return [(r["question"], int(r["n"])) for r in rows]
