"""Stripe payments (API 02): subscriptions and the webhook events already processed.

Revision ID: 0005
Revises: 0004
Create Date: 2025-02-14
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB, UUID

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TZ = sa.DateTime(timezone=True)
NOW = sa.func.now()


def upgrade() -> None:
    op.create_table(
        "user_subscriptions",
        sa.Column("id", UUID(as_uuid=False), primary_key=True),
        # the account that paid, when known (checkout metadata user_id, or the customer's e-mail)
        sa.Column("user_id", sa.Text, nullable=True),
        sa.Column("customer_email", sa.Text, nullable=True),
        sa.Column("plan", sa.Text, nullable=False, server_default=""),  # Stripe price id or product
        sa.Column("status", sa.Text, nullable=False, server_default="active"),
        sa.Column("start_date", TZ, nullable=False, server_default=NOW),
        sa.Column("end_date", TZ, nullable=True),
        sa.Column("final_price", sa.Numeric(14, 2), nullable=False, server_default="0"),  # major units
        sa.Column("currency", sa.Text, nullable=False, server_default="usd"),
        sa.Column("mode", sa.Text, nullable=False, server_default="subscription"),
        sa.Column("stripe_customer_id", sa.Text, nullable=True),
        sa.Column("stripe_subscription_id", sa.Text, nullable=True, unique=True),
        sa.Column("stripe_checkout_session_id", sa.Text, nullable=True, unique=True),
        sa.Column("metadata", JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
        # when Stripe created the latest customer.subscription.* event applied: an older one that
        # arrives later (Stripe does not keep their order) changes nothing
        sa.Column("last_event_at", TZ, nullable=True),
        sa.Column("created_at", TZ, nullable=False, server_default=NOW),
        sa.Column("updated_at", TZ, nullable=False, server_default=NOW),
        sa.CheckConstraint("final_price >= 0", name="user_subscriptions_price_not_negative"),
    )
    op.create_index("ix_user_subscriptions_user", "user_subscriptions", ["user_id"])
    op.create_index("ix_user_subscriptions_created", "user_subscriptions", ["created_at"])
    op.create_table(
        "stripe_event",
        sa.Column("id", sa.Text, primary_key=True),  # Stripe's event id: each is processed once
        sa.Column("type", sa.Text, nullable=False),
        sa.Column("received_at", TZ, nullable=False, server_default=NOW),
    )


def downgrade() -> None:
    op.drop_table("stripe_event")
    op.drop_table("user_subscriptions")
