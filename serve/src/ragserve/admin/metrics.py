"""The admins' overview and usage charts (the console's Overview and Metrics pages).

Figures come from the query log (one row per answered question, from every dialect; the
playground's trial questions are not logged). Days are UTC days.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated

from fastapi import APIRouter, Query

from ragplatform import health as engine_health
from ragplatform.answering.unanswered import UnansweredQueue
from ragplatform.errors import InvalidInput, NotFound
from ragplatform.factory import Platform
from ragplatform.metrics.base import DailyUsage
from ragserve.admin.schemas import (
    ADMIN_ERRORS,
    DailyMetricsPublic,
    EngineStatusPublic,
    OverviewPublic,
    ServingIndexPublic,
    TopQuestionPublic,
    mlflow_links,
)
from ragserve.auth import AdminUser
from ragserve.deps import PlatformDep

router = APIRouter(prefix="/api/admin", tags=["admin: metrics"])

MAX_DAYS = 366
DEFAULT_DAYS = 30
MAX_TOP = 100
EARLIEST, LATEST = date(1970, 1, 1), date(9998, 12, 31)  # keeps day arithmetic inside the calendar
DateFrom = Annotated[
    date | None,
    Query(description=f"first UTC day, inclusive (default: {DEFAULT_DAYS - 1} days before date_to)"),
]
DateTo = Annotated[date | None, Query(description="last UTC day, inclusive (default: today)")]
RANGE_ERRORS = {
    **ADMIN_ERRORS,
    422: {"description": f"date_to before date_from, or more than {MAX_DAYS} days"},
}


def _ms(value: float | None) -> float | None:
    return None if value is None else round(float(value), 2)


def _start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def date_range(date_from: date | None, date_to: date | None) -> tuple[date, date]:
    """The inclusive range with defaults filled in. Raises InvalidInput naming the bad value."""
    for name, value in (("date_from", date_from), ("date_to", date_to)):
        if value is not None and not EARLIEST <= value <= LATEST:
            raise InvalidInput(
                f"{name} must be between {EARLIEST} and {LATEST}, got {value}", field=name, value=value
            )
    last = date_to or datetime.now(UTC).date()
    first = date_from or max(EARLIEST, last - timedelta(days=DEFAULT_DAYS - 1))
    if last < first:
        raise InvalidInput(
            f"date_to ({last}) must not be before date_from ({first})", field="date_to", value=last
        )
    days = (last - first).days + 1
    if days > MAX_DAYS:
        raise InvalidInput(
            f"the date range spans {days} days; the limit is {MAX_DAYS}", field="date_from", value=first
        )
    return first, last


def daily(usage: DailyUsage | None, day: date) -> DailyMetricsPublic:
    if usage is None:
        return DailyMetricsPublic(day=day, questions=0, unanswered=0)
    rate = usage.unanswered / usage.questions if usage.questions else 0.0
    return DailyMetricsPublic(
        day=day,
        questions=usage.questions,
        unanswered=usage.unanswered,
        unanswered_rate=round(rate, 4),
        latency_p50_ms=_ms(usage.latency_p50_ms),
        latency_p95_ms=_ms(usage.latency_p95_ms),
    )


@router.get(
    "/metrics/daily",
    response_model=list[DailyMetricsPublic],
    summary="Questions, unanswered rate and latency p50/p95 per UTC day",
    description=(
        f"One entry per day from `date_from` to `date_to` (inclusive, at most {MAX_DAYS} days), days "
        "without questions included (zero questions, null latencies), oldest first."
    ),
    responses=RANGE_ERRORS,
)
def daily_metrics(
    platform: PlatformDep, _: AdminUser, date_from: DateFrom = None, date_to: DateTo = None
) -> list[DailyMetricsPublic]:
    first, last = date_range(date_from, date_to)
    rows = platform.queries.per_day(since=_start(first), until=_start(last + timedelta(days=1)))
    by_day = {r.day: r for r in rows}
    return [
        daily(by_day.get(first + timedelta(days=i)), first + timedelta(days=i))
        for i in range((last - first).days + 1)
    ]


@router.get(
    "/metrics/top-questions",
    response_model=list[TopQuestionPublic],
    summary="The most asked questions in a date range",
    description="Questions compared case- and space-insensitively, most frequent first.",
    responses=RANGE_ERRORS,
)
def top_questions(
    platform: PlatformDep,
    _: AdminUser,
    date_from: DateFrom = None,
    date_to: DateTo = None,
    limit: Annotated[int, Query(ge=1, le=MAX_TOP, description=f"questions to return, 1..{MAX_TOP}")] = 10,
) -> list[TopQuestionPublic]:
    first, last = date_range(date_from, date_to)
    top = platform.queries.top_questions(limit, _start(first), _start(last + timedelta(days=1)))
    return [TopQuestionPublic(question=q, count=n) for q, n in top]


def serving_summary(platform: Platform) -> ServingIndexPublic | None:
    try:
        v = platform.serving.current.version
    except NotFound:
        return None
    return ServingIndexPublic(
        version=v.version,
        name=v.spec.name,
        collection=v.collection,
        created_at=v.created_at,
        metrics=dict(v.metrics),
        evaluations={k: t for k, t in v.tags.items() if k.startswith("eval.")},
        mlflow_run_url=mlflow_links(platform, v)["mlflow_run_url"],
    )


@router.get(
    "/overview",
    response_model=OverviewPublic,
    summary="Engines' health, the serving index and today's usage",
    description=(
        "Every engine's health (as `GET /health`), the production index version with its build and "
        "evaluation metrics, today's (UTC) questions, unanswered count and latency, and how many "
        "unanswered questions wait in the queue."
    ),
    responses=ADMIN_ERRORS,
)
def overview(platform: PlatformDep, _: AdminUser) -> OverviewPublic:
    report = engine_health.report(platform)
    today = datetime.now(UTC).date()
    usage = platform.queries.summary(since=_start(today))
    return OverviewPublic(
        status="healthy" if report.ok else "degraded",
        engines={
            k: EngineStatusPublic(status=e.status, engine=e.engine, detail=e.detail)
            for k, e in report.engines.items()
        },
        serving=serving_summary(platform),
        day=today,
        questions_today=usage.questions,
        unanswered_today=usage.unanswered,
        unanswered_rate_today=round(usage.unanswered_rate, 4),
        latency_p50_ms_today=_ms(usage.latency_p50_ms),
        latency_p95_ms_today=_ms(usage.latency_p95_ms),
        open_unanswered=UnansweredQueue(platform.sessions, platform.content).count(),
    )
