"""AnalyticsService against a real PostgreSQL: the overview's four figures and their changes, per
scope, and trends per day and week, over rows dated in this and the previous period."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from psycopg_pool import ConnectionPool

from ragplatform.analytics.service import AnalyticsService, Kpi, Overview, TrendPoint
from ragplatform.errors import InvalidInput
from ragplatform.sessions.postgres import PostgresSessionStore
from ragplatform.settings import AnalyticsSettings

ALICE, BOB = "alice-id", "bob-id"


def at(day: str) -> datetime:
    return datetime.fromisoformat(day).replace(tzinfo=UTC)


def add_lead(pool: ConnectionPool[Any], user_id: str | None, created: str, status: str = "new",
             email: str | None = None) -> None:  # fmt: skip
    email = email or f"{uuid.uuid4().hex[:10]}@example.org"
    with pool.connection() as conn:
        conn.execute(
            "INSERT INTO lead (id, email, email_key, user_id, status, created_at) VALUES (%s, %s, %s, %s, %s, %s)",
            [str(uuid.uuid4()), email, email.strip().lower(), user_id, status, at(created)],
        )


def add_subscription(pool: ConnectionPool[Any], user_id: str | None, started: str, price: str,
                     status: str = "active", email: str | None = None) -> None:  # fmt: skip
    with pool.connection() as conn:
        conn.execute(
            "INSERT INTO user_subscriptions (id, user_id, customer_email, status, start_date, final_price)"
            " VALUES (%s, %s, %s, %s, %s, %s)",
            [str(uuid.uuid4()), user_id, email, status, at(started), Decimal(price)],
        )


def add_session(pool: ConnectionPool[Any], store: PostgresSessionStore, owner: str, *days: str) -> str:
    session = store.create_session(owner)
    for day in days:
        message = store.add_message(session.id, "user", "hello")
        with pool.connection() as conn:
            conn.execute("UPDATE chat_message SET created_at = %s WHERE id = %s", [at(day), message.id])
    return session.id


@pytest.fixture
def analytics(pool: ConnectionPool[Any]) -> AnalyticsService:
    """March 2025 (from the 1st to the 31st, excluded) against the 30 days before it, with:

    leads: Alice 3 in March (converted; paying through a subscription e-mail; new) and 2 before
    (converted; new), Bob 1 in March, one without an account in March;
    subscriptions: Alice 100 active + 49.50 canceled + 20 incomplete in March, 50 before;
    Bob 30 paid (one-off) in March;
    sessions: Alice's s1 with messages on March 2 and 3, s2 on February 15; Bob's on March 3; an
    open session on March 4; one with no message at all."""
    add_lead(pool, ALICE, "2025-03-02T10:00", "converted")
    add_lead(pool, ALICE, "2025-03-02T11:00", email="Carol@Example.org")
    add_lead(pool, ALICE, "2025-03-05T00:00")
    add_lead(pool, ALICE, "2025-02-10T00:00", "converted")
    add_lead(pool, ALICE, "2025-01-30T00:00")  # the first instant of the previous period
    add_lead(pool, ALICE, "2025-03-31T00:00")  # the end is excluded
    add_lead(pool, BOB, "2025-03-03T00:00")
    add_lead(pool, None, "2025-03-04T00:00")
    add_subscription(pool, ALICE, "2025-03-05", "100.00", email="  carol@example.ORG ")
    add_subscription(pool, ALICE, "2025-03-06", "49.50", status="canceled")
    add_subscription(pool, ALICE, "2025-03-07", "20.00", status="incomplete")
    add_subscription(pool, ALICE, "2025-02-10", "50.00")
    add_subscription(pool, BOB, "2025-03-10", "30.00", status="paid")
    store = PostgresSessionStore(pool)
    add_session(pool, store, ALICE, "2025-03-02T09:00", "2025-03-03T09:00")
    add_session(pool, store, ALICE, "2025-02-15T09:00")
    add_session(pool, store, BOB, "2025-03-03T10:00")
    add_session(pool, store, "open:visitor", "2025-03-04T10:00")
    store.create_session(ALICE)
    return AnalyticsService(pool, store, AnalyticsSettings())


def march(service: AnalyticsService) -> Any:
    return service.period(datetime(2025, 3, 1), datetime(2025, 3, 31))


def test_the_admins_overview_counts_everyone(analytics: AnalyticsService) -> None:
    assert analytics.overview(march(analytics), None) == Overview(
        total_leads=Kpi(5, 150.0),  # 5 against 2
        active_conversations=Kpi(3, 200.0),  # Alice's s1, Bob's, the open one; against s2
        conversion_rate=Kpi(40.0, -20.0),  # 2 of 5 against 1 of 2
        total_revenue=Kpi(179.5, 259.0),  # 100 + 49.50 + 30 (the incomplete one took no money)
    )


def test_a_users_overview_counts_their_own(analytics: AnalyticsService) -> None:
    assert analytics.overview(march(analytics), ALICE) == Overview(
        total_leads=Kpi(3, 50.0),
        active_conversations=Kpi(1, 0.0),
        conversion_rate=Kpi(66.7, 33.3),  # 2 of 3 against 1 of 2
        total_revenue=Kpi(149.5, 199.0),
    )
    bob = analytics.overview(march(analytics), BOB)
    assert bob.total_leads == Kpi(1, None)  # from nothing: no percentage
    assert bob.conversion_rate == Kpi(0.0, 0.0)
    assert bob.total_revenue == Kpi(30.0, None)
    nobody = analytics.overview(march(analytics), "carol-id")
    assert {kpi.value for kpi in vars(nobody).values()} == {0}
    assert {kpi.change for kpi in vars(nobody).values()} == {0.0}


def test_daily_trends_are_zero_filled(analytics: AnalyticsService) -> None:
    week = analytics.period(datetime(2025, 3, 1), datetime(2025, 3, 8))
    days = [date(2025, 3, d) for d in range(1, 8)]
    assert analytics.trend("leads", week, "daily", None) == [
        TrendPoint(d, n) for d, n in zip(days, [0, 2, 1, 1, 1, 0, 0], strict=True)
    ]
    assert [p.value for p in analytics.trend("leads", week, "daily", ALICE)] == [0, 2, 0, 0, 1, 0, 0]
    assert [p.value for p in analytics.trend("conversations", week, "daily", None)] == [0, 1, 2, 1, 0, 0, 0]
    assert [p.value for p in analytics.trend("conversations", week, "daily", BOB)] == [0, 0, 1, 0, 0, 0, 0]
    revenue = analytics.trend("revenue", week, "daily", None)
    assert [p.value for p in revenue] == [0.0, 0.0, 0.0, 0.0, 100.0, 49.5, 0.0]


def test_weekly_trends_count_each_iso_week_inside_the_period(analytics: AnalyticsService) -> None:
    two_weeks = analytics.period(datetime(2025, 3, 1), datetime(2025, 3, 15))  # Saturday to Saturday
    assert analytics.trend("leads", two_weeks, "weekly", None) == [
        TrendPoint(date(2025, 2, 24), 2),  # only March 1 and 2 of that week
        TrendPoint(date(2025, 3, 3), 3),
        TrendPoint(date(2025, 3, 10), 0),
    ]
    assert [p.value for p in analytics.trend("revenue", two_weeks, "weekly", None)] == [0.0, 149.5, 30.0]
    assert [p.value for p in analytics.trend("conversations", two_weeks, "weekly", ALICE)] == [1, 1, 0]


def test_unknown_metrics_and_aggregations_are_refused(analytics: AnalyticsService) -> None:
    with pytest.raises(InvalidInput, match="metric must be one of") as refused:
        analytics.trend("churn", march(analytics), "daily", None)  # type: ignore[arg-type]
    assert refused.value.field == "metric"
    with pytest.raises(InvalidInput, match="aggregation must be one of"):
        analytics.trend("leads", march(analytics), "hourly", None)  # type: ignore[arg-type]
