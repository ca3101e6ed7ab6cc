"""``GET /api/metrics``, ``GET /api/metrics/sessions/{id}`` and ``GET /api/`` (API 04).

Figures come from the query log (one row per answered question, from every dialect): an admin
sees everyone's, a user their own. Latencies are end-to-end answer times in milliseconds.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from ragplatform import health as engine_health
from ragplatform.errors import InvalidInput
from ragplatform.factory import Platform
from ragplatform.metrics.base import DailyUsage, UsageSummary
from ragserve.access import visible_session
from ragserve.auth import CurrentUser
from ragserve.deps import PlatformDep
from ragserve.health import Health, shape_health

router = APIRouter(prefix="/api", tags=["metrics"])

MAX_DAYS = 366  # per-day series of one user or session are computed day by day


class Tokens(BaseModel):
    prompt: int
    completion: int
    total: int


class DayMetrics(BaseModel):
    day: date
    questions: int
    unanswered: int
    latency_p50_ms: float | None
    latency_p95_ms: float | None


class MetricsPublic(BaseModel):
    scope: Literal["global", "user", "session"] = Field(
        description="global: every user (admins); user: the caller's own questions; session: one session"
    )
    user_id: str | None = Field(description="Whose questions are counted (null for global)")
    since: datetime | None
    until: datetime | None
    questions: int = Field(description="Questions answered in the period")
    unanswered: int = Field(description="Questions answered with 'I don't know' (nothing relevant found)")
    unanswered_rate: float = Field(description="unanswered / questions, 0 when there are none")
    latency_p50_ms: float | None = Field(description="Median answer latency (null without questions)")
    latency_p95_ms: float | None
    tokens: Tokens = Field(description="Tokens the language model read (prompt) and wrote (completion)")
    first_at: datetime | None = Field(description="First question in the period")
    last_at: datetime | None
    per_day: list[DayMetrics] = Field(description="One entry per UTC day with questions, oldest first")
    top_questions: list[dict[str, Any]] = Field(
        default_factory=list, description="Most asked questions, `{question, count}` (global scope only)"
    )


class SessionMetricsPublic(MetricsPublic):
    session_id: str
    messages: int = Field(description="Messages stored in the session (questions and answers)")
    title: str
    created_at: datetime
    updated_at: datetime


class RedisStatus(BaseModel):
    configured: bool
    status: str = Field(description="healthy | unavailable | not configured")
    detail: str = ""


class ApiHealth(Health):
    redis: RedisStatus = Field(
        description="Redis is optional: chat history lives in the session store whether or not it is set"
    )


Since = Query(None, description="Count questions from this time on (ISO 8601; UTC when no offset)")
Until = Query(None, description="Count questions before this time (ISO 8601; UTC when no offset)")


def utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def daily(
    platform: Platform,
    summary: UsageSummary,
    since: datetime | None,
    until: datetime | None,
    user_id: str | None = None,
    session_id: str | None = None,
) -> list[DailyUsage]:
    """Per-day series of one user's or one session's questions (the query log groups by day only
    globally): one summary per UTC day between the first and the last question, at most MAX_DAYS."""
    if summary.first_at is None or summary.last_at is None:
        return []
    last = summary.last_at.astimezone(UTC).date()
    first = max(summary.first_at.astimezone(UTC).date(), last - timedelta(days=MAX_DAYS - 1))
    days: list[DailyUsage] = []
    day = first
    while day <= last:
        start = datetime.combine(day, time.min, tzinfo=UTC)
        end = start + timedelta(days=1)
        lo = max(start, since) if since else start
        hi = min(end, until) if until else end
        day += timedelta(days=1)
        if lo >= hi:
            continue
        s = platform.queries.summary(since=lo, until=hi, user_id=user_id, session_id=session_id)
        if s.questions:
            days.append(
                DailyUsage(start.date(), s.questions, s.unanswered, s.latency_p50_ms, s.latency_p95_ms)
            )
    return days


def figures(
    summary: UsageSummary, days: list[DailyUsage], since: datetime | None, until: datetime | None
) -> dict[str, Any]:
    return {
        "since": since,
        "until": until,
        "questions": summary.questions,
        "unanswered": summary.unanswered,
        "unanswered_rate": round(summary.unanswered_rate, 4),
        "latency_p50_ms": _ms(summary.latency_p50_ms),
        "latency_p95_ms": _ms(summary.latency_p95_ms),
        "tokens": Tokens(
            prompt=summary.prompt_tokens,
            completion=summary.completion_tokens,
            total=summary.prompt_tokens + summary.completion_tokens,
        ),
        "first_at": summary.first_at,
        "last_at": summary.last_at,
        "per_day": [
            DayMetrics(
                day=d.day,
                questions=d.questions,
                unanswered=d.unanswered,
                latency_p50_ms=_ms(d.latency_p50_ms),
                latency_p95_ms=_ms(d.latency_p95_ms),
            )
            for d in days
        ],
    }


def _ms(value: float | None) -> float | None:
    return None if value is None else round(float(value), 2)


def _period(since: datetime | None, until: datetime | None) -> tuple[datetime | None, datetime | None]:
    since, until = utc(since), utc(until)
    if since and until and until < since:
        raise InvalidInput(f"until ({until.isoformat()}) must not be before since ({since.isoformat()})")
    return since, until


@router.get(
    "/metrics",
    response_model=MetricsPublic,
    summary="Usage and performance metrics",
    description=(
        "Questions asked, unanswered count and rate, answer latency p50/p95 (ms), tokens and a per-day "
        "series. An admin sees global figures (and the most asked questions), or one user's with "
        "`user_id`; any other user sees their own."
    ),
    responses={401: {"description": "Missing or invalid bearer token"}},
)
def metrics(
    user: CurrentUser,
    platform: PlatformDep,
    since: datetime | None = Since,
    until: datetime | None = Until,
    user_id: str | None = Query(None, max_length=200, description="Admins only: one user's figures"),
) -> MetricsPublic:
    since, until = _period(since, until)
    if user.role != "admin":
        user_id = user.id
    summary = platform.queries.summary(since=since, until=until, user_id=user_id)
    if user_id is None:
        days = platform.queries.per_day(since=since, until=until)
        top = [{"question": q, "count": n} for q, n in platform.queries.top_questions(10, since, until)]
        return MetricsPublic(
            scope="global", user_id=None, top_questions=top, **figures(summary, days, since, until)
        )
    days = daily(platform, summary, since, until, user_id=user_id)
    return MetricsPublic(scope="user", user_id=user_id, **figures(summary, days, since, until))


@router.get(
    "/metrics/sessions/{session_id}",
    response_model=SessionMetricsPublic,
    summary="Metrics of one chat session",
    description=(
        "The same figures for one session, plus its message count. 404 for a session that does not "
        "exist or that belongs to another user."
    ),
    responses={
        401: {"description": "Missing or invalid bearer token"},
        404: {"description": "No such session visible to the caller"},
    },
)
def session_metrics(
    session_id: str,
    user: CurrentUser,
    platform: PlatformDep,
    since: datetime | None = Since,
    until: datetime | None = Until,
) -> SessionMetricsPublic:
    since, until = _period(since, until)
    session = visible_session(platform, session_id, user)
    summary = platform.queries.summary(since=since, until=until, session_id=session.id)
    days = daily(platform, summary, since, until, session_id=session.id)
    return SessionMetricsPublic(
        scope="session",
        user_id=session.user_id,
        session_id=session.id,
        messages=len(platform.sessions.list_messages(session.id)),
        title=session.title,
        created_at=session.created_at,
        updated_at=session.updated_at,
        **figures(summary, days, since, until),
    )


@router.get(
    "/",
    response_model=ApiHealth,
    tags=["core"],
    summary="Health of every service, Redis included",
    description="The `GET /health` report (engines, serving index) plus whether Redis is configured and reachable.",
)
def api_health(platform: PlatformDep) -> ApiHealth:
    report = shape_health(engine_health.report(platform))
    redis = engine_health.redis_check(platform.settings.redis_url)
    return ApiHealth(
        **report.model_dump(),
        redis=RedisStatus(configured=redis.configured, status=redis.status, detail=redis.detail),
    )
