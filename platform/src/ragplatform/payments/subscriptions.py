"""``user_subscriptions`` and ``stripe_event`` in PostgreSQL.

The writes a webhook makes take the caller's connection, so that remembering the event and applying
it are one transaction: an event seen before changes nothing, and one that fails to apply is not
remembered (Stripe sends it again).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from psycopg import Connection
from psycopg.types.json import Jsonb
from psycopg_pool import ConnectionPool
from pydantic import BaseModel, Field

from ragplatform.content.postgres import check_page
from ragplatform.db.pool import connection
from ragplatform.errors import InvalidInput
from ragplatform.payments.webhook import CheckoutChange, SubscriptionChange

UNPAID = ("incomplete", "failed")  # recorded, but no money was taken


class Subscription(BaseModel):
    id: str
    user_id: str | None
    customer_email: str | None
    plan: str
    status: str
    start_date: datetime
    end_date: datetime | None
    final_price: Decimal = Field(description="what was paid, in the currency's major unit")
    currency: str
    mode: str
    stripe_customer_id: str | None
    stripe_subscription_id: str | None
    stripe_checkout_session_id: str | None
    metadata: dict[str, Any] = Field(default_factory=dict)
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class Applied:
    """A row a webhook wrote, and whether the write created it."""

    subscription: Subscription
    created: bool


@dataclass(frozen=True)
class SubscriptionPage:
    items: list[Subscription]
    total: int


def _subscription(row: dict[str, Any]) -> Subscription:
    return Subscription.model_validate({**row, "id": str(row["id"])})


def _applied(row: dict[str, Any] | None) -> Applied | None:
    if row is None:
        return None
    return Applied(_subscription(row), bool(row["inserted"]))


COLUMNS = (
    "id, user_id, customer_email, plan, status, start_date, end_date, final_price, currency, mode,"
    " stripe_customer_id, stripe_subscription_id, stripe_checkout_session_id, metadata"
)
RETURNING = " RETURNING *, (xmax = 0) AS inserted"  # xmax is 0 on a row this statement inserted


class SubscriptionStore:
    def __init__(self, pool: ConnectionPool[Any]) -> None:
        self._pool = pool

    # -- webhook writes (in the caller's transaction) ---------------------------------------------

    @staticmethod
    def remember_event(conn: Connection[Any], event_id: str, event_type: str) -> bool:
        """True the first time ``event_id`` is seen; False for a redelivery (which then waits for a
        concurrent delivery of the same event to finish, and changes nothing)."""
        row = conn.execute(
            "INSERT INTO stripe_event (id, type) VALUES (%s, %s) ON CONFLICT (id) DO NOTHING RETURNING id",
            [event_id, event_type],
        ).fetchone()
        return row is not None

    @staticmethod
    def apply_checkout(conn: Connection[Any], change: CheckoutChange, user_id: str | None) -> Applied | None:
        """A completed Checkout Session: one row per session (and per Stripe subscription, which a
        ``customer.subscription.*`` event may have recorded first; its status then stands)."""
        values = [
            str(uuid.uuid4()), user_id, change.customer_email, change.plan, change.status,
            change.start_date, None, change.final_price, change.currency, change.mode,
            change.stripe_customer_id, change.stripe_subscription_id, change.session_id,
            Jsonb(change.metadata),
        ]  # fmt: skip
        insert = f"INSERT INTO user_subscriptions ({COLUMNS}) VALUES ({', '.join(['%s'] * 14)})"
        if change.stripe_subscription_id is None:
            return _applied(
                conn.execute(
                    insert + " ON CONFLICT (stripe_checkout_session_id) DO NOTHING" + RETURNING, values
                ).fetchone()
            )
        return _applied(
            conn.execute(
                insert + " ON CONFLICT (stripe_subscription_id) DO UPDATE SET"
                " user_id = COALESCE(user_subscriptions.user_id, EXCLUDED.user_id),"
                " customer_email = COALESCE(user_subscriptions.customer_email, EXCLUDED.customer_email),"
                " plan = COALESCE(NULLIF(user_subscriptions.plan, ''), EXCLUDED.plan),"
                " final_price = EXCLUDED.final_price, currency = EXCLUDED.currency, mode = EXCLUDED.mode,"
                " stripe_customer_id = COALESCE(user_subscriptions.stripe_customer_id,"
                " EXCLUDED.stripe_customer_id),"
                " stripe_checkout_session_id = EXCLUDED.stripe_checkout_session_id,"
                " metadata = EXCLUDED.metadata || user_subscriptions.metadata,"
                " start_date = LEAST(user_subscriptions.start_date, EXCLUDED.start_date),"
                " updated_at = now()"
                " WHERE user_subscriptions.stripe_checkout_session_id IS NULL" + RETURNING,
                values,
            ).fetchone()
        )

    @staticmethod
    def settle_checkout(conn: Connection[Any], session_id: str, status: str) -> Applied | None:
        """A delayed payment of a recorded session succeeded or failed; None when none is recorded."""
        return _applied(
            conn.execute(
                "UPDATE user_subscriptions SET status = %s, updated_at = now()"
                " WHERE stripe_checkout_session_id = %s AND status = 'incomplete'" + RETURNING,
                [status, session_id],
            ).fetchone()
        )

    @staticmethod
    def apply_subscription(
        conn: Connection[Any], change: SubscriptionChange, user_id: str | None
    ) -> Applied | None:
        """A subscription Stripe created, changed or ended: its row is updated (or recorded, when
        this event arrives before the checkout's); None when the row already reflects a later event."""
        values = [
            str(uuid.uuid4()), user_id, None, change.plan, change.status, change.start_date,
            change.end_date, change.final_price, change.currency, "subscription",
            change.stripe_customer_id, change.stripe_subscription_id, None, Jsonb(change.metadata),
            change.event_at,
        ]  # fmt: skip
        return _applied(
            conn.execute(
                f"INSERT INTO user_subscriptions ({COLUMNS}, last_event_at)"
                f" VALUES ({', '.join(['%s'] * 15)})"
                " ON CONFLICT (stripe_subscription_id) DO UPDATE SET"
                " status = EXCLUDED.status,"
                " plan = COALESCE(NULLIF(EXCLUDED.plan, ''), user_subscriptions.plan),"
                " end_date = EXCLUDED.end_date,"
                " user_id = COALESCE(user_subscriptions.user_id, EXCLUDED.user_id),"
                " stripe_customer_id = COALESCE(user_subscriptions.stripe_customer_id,"
                " EXCLUDED.stripe_customer_id),"
                " last_event_at = EXCLUDED.last_event_at, updated_at = now()"
                " WHERE user_subscriptions.last_event_at IS NULL"
                " OR user_subscriptions.last_event_at <= EXCLUDED.last_event_at" + RETURNING,
                values,
            ).fetchone()
        )

    # -- reads -------------------------------------------------------------------------------------

    def page(
        self, user_id: str | None = None, status: str | None = None, skip: int = 0, limit: int = 50
    ) -> SubscriptionPage:
        """Subscriptions newest first, of ``user_id`` (None: everyone's), optionally of one status.
        Raises InvalidInput (paging), BackendUnavailable."""
        check_page(skip, limit)
        where = "(%(user)s::text IS NULL OR user_id = %(user)s) AND (%(status)s::text IS NULL OR status = %(status)s)"
        args = {"user": user_id, "status": status, "skip": skip, "limit": limit}
        with connection(self._pool) as conn:
            rows = conn.execute(
                f"SELECT * FROM user_subscriptions WHERE {where}"
                " ORDER BY created_at DESC, id OFFSET %(skip)s LIMIT %(limit)s",
                args,
            ).fetchall()
            total = conn.execute(
                f"SELECT count(*) AS n FROM user_subscriptions WHERE {where}", args
            ).fetchone()
        return SubscriptionPage([_subscription(r) for r in rows], int(total["n"]) if total else 0)

    def revenue(self, start: datetime, end: datetime, user_id: str | None = None) -> Decimal:
        """What was paid for subscriptions and payments that started in ``[start, end)`` (major
        units, all currencies added up), of ``user_id`` or everyone. Raises InvalidInput (a reversed
        window), BackendUnavailable."""
        if end < start:
            raise InvalidInput(
                f"end ({end.isoformat()}) must not be before start ({start.isoformat()})",
                field="end",
                value=end.isoformat(),
            )
        with connection(self._pool) as conn:
            row = conn.execute(
                "SELECT coalesce(sum(final_price), 0) AS total FROM user_subscriptions"
                " WHERE start_date >= %s AND start_date < %s AND status <> ALL(%s)"
                " AND (%s::text IS NULL OR user_id = %s)",
                [start, end, list(UNPAID), user_id, user_id],
            ).fetchone()
        return Decimal(row["total"]) if row else Decimal(0)
