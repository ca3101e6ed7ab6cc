"""``GET /api/metrics``, ``GET /api/metrics/sessions/{id}`` and ``GET /api/`` (API 04).

Figures come from the query log (one row per answered question, from every dialect): an admin
sees everyone's, a user their own. Latencies are end-to-end answer times in milliseconds.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Query

from ragplatform import health as engine_health
from ragplatform.errors import InvalidInput
from ragplatform.metrics.base import DailyUsage, UsageSummary
from ragplatform.sessions.owners import client_user_id
from ragserve.access import visible_session
from ragserve.accounts_documents.schemas import (
    ApiHealthPublic,
    DayMetricsPublic,
    MetricsPublic,
    RedisStatusPublic,
    SessionMetricsPublic,
    TokensPublic,
    TopQuestionPublic,
)
from ragserve.auth import CurrentUser
from ragserve.deps import PlatformDep
from ragserve.health import shape_health
from ragserve.params import UtcTime

router = APIRouter(prefix="/api", tags=["metrics"])


Since = Query(None, description="Count questions from this time on (ISO 8601; UTC when no offset)")
Until = Query(None, description="Count questions before this time (ISO 8601; UTC when no offset)")


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
        "tokens": TokensPublic(
            prompt=summary.prompt_tokens,
            completion=summary.completion_tokens,
            total=summary.prompt_tokens + summary.completion_tokens,
        ),
        "first_at": summary.first_at,
        "last_at": summary.last_at,
        "per_day": [
            DayMetricsPublic(
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
    if since and until and until < since:
        raise InvalidInput(
            f"until ({until.isoformat()}) must not be before since ({since.isoformat()})",
            field="until",
            value=until.isoformat(),
        )
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
    since: UtcTime | None = Since,
    until: UtcTime | None = Until,
    user_id: str | None = Query(None, max_length=200, description="Admins only: one user's figures"),
) -> MetricsPublic:
    since, until = _period(since, until)
    if user.role != "admin":
        user_id = user.id
    summary = platform.queries.summary(since=since, until=until, user_id=user_id)
    if user_id is None:
        days = platform.queries.per_day(since=since, until=until)
        top = [
            TopQuestionPublic(question=q, count=n)
            for q, n in platform.queries.top_questions(10, since, until)
        ]
        return MetricsPublic(
            scope="global", user_id=None, top_questions=top, **figures(summary, days, since, until)
        )
    days = platform.queries.per_day(since=since, until=until, user_id=user_id)
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
    since: UtcTime | None = Since,
    until: UtcTime | None = Until,
) -> SessionMetricsPublic:
    since, until = _period(since, until)
    session = visible_session(platform, session_id, user)
    summary = platform.queries.summary(since=since, until=until, session_id=session.id)
    days = platform.queries.per_day(since=since, until=until, session_id=session.id)
    return SessionMetricsPublic(
        scope="session",
        user_id=client_user_id(session.user_id),
        session_id=session.id,
        messages=platform.sessions.count_messages(session.id),
        title=session.title,
        created_at=session.created_at,
        updated_at=session.updated_at,
        **figures(summary, days, since, until),
    )


@router.get(
    "/",
    response_model=ApiHealthPublic,
    tags=["core"],
    summary="Health of every service, Redis included",
    description="The `GET /health` report (engines, serving index) plus whether Redis is configured and reachable.",
)
def api_health(platform: PlatformDep) -> ApiHealthPublic:
    report = shape_health(engine_health.report(platform))
    redis = engine_health.redis_check(platform.settings.redis_url)
    return ApiHealthPublic(
        **report.model_dump(),
        redis=RedisStatusPublic(configured=redis.configured, status=redis.status, detail=redis.detail),
    )
