"""AnalyticsService: the overview API 02 documents and the trends behind its live charts.

What is counted, for a period ``[start, end)`` (see ``analytics/periods.py`` for periods, buckets
and ``change``):

- ``total_leads``: leads (table ``lead``) created in the period.
- ``active_conversations``: sessions with at least one message created in the period (the session
  store's ``count_active_sessions``, so MongoDB answers as PostgreSQL does). In a trend, a session
  counts in every day or week it has a message in.
- ``conversion_rate``: of the period's leads, the percentage (0..100, one decimal; 0.0 without
  leads) that converted: status ``converted``, or an e-mail (compared trimmed and lower-cased) that
  pays now, an ``active`` subscription or a ``paid`` one-off payment in ``user_subscriptions``. It
  is the period's cohort read today: a lead that converts next month raises this month's rate.
- ``total_revenue``: the sum of ``final_price`` (major units, two decimals; currencies are added up
  as they are) of the subscriptions and payments whose ``start_date`` lies in the period, except
  those no money was taken for (``payments.subscriptions.UNPAID``: incomplete, failed).

Scope: ``user_id=None`` (an admin) counts everything, open (anonymous) sessions and leads without
an account included; a user's scope is the leads that came through their account (``lead.user_id``),
their own sessions and the subscriptions they paid for (``user_subscriptions.user_id``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Literal, LiteralString, get_args

from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool

from ragplatform.analytics.periods import Aggregation, Period, change, resolve_period
from ragplatform.content.base import User
from ragplatform.db.pool import connection
from ragplatform.errors import InvalidInput
from ragplatform.payments.subscriptions import UNPAID
from ragplatform.sessions.base import SessionStore
from ragplatform.settings import AnalyticsSettings

Metric = Literal["leads", "conversations", "revenue"]
METRICS: tuple[Metric, ...] = get_args(Metric)
Window = tuple[datetime, datetime]
PAYING = ("active", "paid")  # a subscription, a one-off payment: the e-mail's owner is a customer

# Each query takes the windows as two arrays and answers one row per window, in their order.
WINDOWS: LiteralString = (
    "unnest(%(starts)s::timestamptz[], %(ends)s::timestamptz[]) WITH ORDINALITY AS w(s, e, i)"
)
LEADS: LiteralString = (
    """
    WITH paying AS (
        SELECT DISTINCT lower(btrim(customer_email)) AS email_key FROM user_subscriptions
        WHERE status = ANY(%(paying)s) AND customer_email IS NOT NULL
    ), scoped AS (
        SELECT l.created_at, (l.status = 'converted' OR p.email_key IS NOT NULL) AS converted
        FROM lead l LEFT JOIN paying p ON p.email_key = l.email_key
        WHERE l.created_at >= %(first)s AND l.created_at < %(last)s
          AND (%(user)s::text IS NULL OR l.user_id = %(user)s)
    )
    SELECT w.i, count(x.created_at) AS n, count(x.created_at) FILTER (WHERE x.converted) AS converted
    FROM """
    + WINDOWS
    + """
    LEFT JOIN scoped x ON x.created_at >= w.s AND x.created_at < w.e
    GROUP BY w.i ORDER BY w.i
    """
)
REVENUE: LiteralString = (
    """
    WITH scoped AS (
        SELECT start_date, final_price FROM user_subscriptions
        WHERE start_date >= %(first)s AND start_date < %(last)s AND status <> ALL(%(unpaid)s)
          AND (%(user)s::text IS NULL OR user_id = %(user)s)
    )
    SELECT w.i, coalesce(sum(x.final_price), 0) AS revenue
    FROM """
    + WINDOWS
    + """
    LEFT JOIN scoped x ON x.start_date >= w.s AND x.start_date < w.e
    GROUP BY w.i ORDER BY w.i
    """
)


@dataclass(frozen=True)
class Kpi:
    value: int | float
    change: float | None


@dataclass(frozen=True)
class Overview:
    total_leads: Kpi
    active_conversations: Kpi
    conversion_rate: Kpi
    total_revenue: Kpi


@dataclass(frozen=True)
class TrendPoint:
    date: date
    value: int | float


def scope_of(user: User) -> str | None:
    """Whose data ``user`` sees: everyone's (None) for an admin, else their own id."""
    return None if user.role == "admin" else user.id


def check_metric(metric: str) -> Metric:
    """Raises InvalidInput naming ``metric`` unless it is leads, conversations or revenue."""
    for known in METRICS:
        if metric == known:
            return known
    raise InvalidInput(f"metric must be one of {list(METRICS)}, got {metric!r}", field="metric", value=metric)


def conversion_rate(leads: int, converted: int) -> float:
    return converted / leads * 100 if leads else 0.0


class AnalyticsService:
    """Reads ``lead`` and ``user_subscriptions`` in PostgreSQL, and conversations through the
    session store (PostgreSQL or MongoDB)."""

    def __init__(
        self, pool: ConnectionPool[Any], sessions: SessionStore, settings: AnalyticsSettings
    ) -> None:
        self._pool = pool
        self.sessions = sessions
        self.settings = settings

    def period(
        self, start: datetime | None = None, end: datetime | None = None, now: datetime | None = None
    ) -> Period:
        """The period asked for, defaults and limits from ANALYTICS__*. Raises InvalidInput."""
        return resolve_period(
            start,
            end,
            now=now or datetime.now(UTC),
            default_days=self.settings.default_days,
            max_span_days=self.settings.max_span_days,
        )

    def overview(self, period: Period, user_id: str | None) -> Overview:
        """The four KPIs of ``period`` against the previous one. Raises BackendUnavailable."""
        windows = [period.window, period.previous().window]
        (leads, converted), (leads_before, converted_before) = self._leads(windows, user_id)
        active, active_before = self.sessions.count_active_sessions(windows, user_id)
        revenue, revenue_before = self._revenue(windows, user_id)
        rate, rate_before = conversion_rate(leads, converted), conversion_rate(leads_before, converted_before)
        return Overview(
            total_leads=Kpi(leads, change(leads, leads_before)),
            active_conversations=Kpi(active, change(active, active_before)),
            conversion_rate=Kpi(round(rate, 1), change(rate, rate_before)),
            total_revenue=Kpi(round(revenue, 2), change(revenue, revenue_before)),
        )

    def trend(
        self, metric: Metric, period: Period, aggregation: Aggregation, user_id: str | None
    ) -> list[TrendPoint]:
        """``metric`` per day or week of ``period``, oldest first, zero-filled. Raises InvalidInput
        for an unknown metric or aggregation, BackendUnavailable."""
        check_metric(metric)
        buckets = period.buckets(aggregation)
        windows = [(b.start, b.end) for b in buckets]
        values: Sequence[int | float]
        if metric == "leads":
            values = [n for n, _ in self._leads(windows, user_id)]
        elif metric == "conversations":
            values = self.sessions.count_active_sessions(windows, user_id)
        else:
            values = [round(v, 2) for v in self._revenue(windows, user_id)]
        return [TrendPoint(b.label, v) for b, v in zip(buckets, values, strict=True)]

    # -- queries -----------------------------------------------------------------------------------

    def _rows(
        self, query: LiteralString, windows: Sequence[Window], user_id: str | None
    ) -> list[dict[str, Any]]:
        if not windows:
            return []
        params = {
            "starts": [s for s, _ in windows],
            "ends": [e for _, e in windows],
            "first": min(s for s, _ in windows),
            "last": max(e for _, e in windows),
            "user": user_id,
            "paying": list(PAYING),
            "unpaid": list(UNPAID),
        }
        with connection(self._pool) as conn, conn.cursor(row_factory=dict_row) as cur:
            cur.execute(query, params)
            rows: list[dict[str, Any]] = cur.fetchall()
        return rows

    def _leads(self, windows: Sequence[Window], user_id: str | None) -> list[tuple[int, int]]:
        """Per window: leads created, and how many of them converted."""
        return [(int(r["n"]), int(r["converted"])) for r in self._rows(LEADS, windows, user_id)]

    def _revenue(self, windows: Sequence[Window], user_id: str | None) -> list[float]:
        return [float(r["revenue"]) for r in self._rows(REVENUE, windows, user_id)]
