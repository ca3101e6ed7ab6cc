"""Leads (API 02): people who leave contact details through the assistant or a form, and the
qualifications ``lead_agent`` makes of them.

Revision ID: 0006
Revises: 0005
Create Date: 2025-02-15
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB, UUID

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TZ = sa.DateTime(timezone=True)
NOW = sa.func.now()


def upgrade() -> None:
    op.create_table(
        "lead",
        sa.Column("id", UUID(as_uuid=False), primary_key=True),
        sa.Column("email", sa.Text, nullable=False),
        # lower-cased, trimmed: a lead is one person however the address was typed
        sa.Column("email_key", sa.Text, nullable=False, unique=True),
        sa.Column("name", sa.Text, nullable=False, server_default=""),
        sa.Column("company", sa.Text, nullable=False, server_default=""),
        sa.Column("message", sa.Text, nullable=False, server_default=""),
        sa.Column("source", sa.Text, nullable=False, server_default="form"),
        sa.Column("consent", sa.Boolean, nullable=False, server_default=sa.false()),
        # the signed-in account it came through (None for an anonymous visitor) and its chat
        sa.Column("user_id", sa.Text, nullable=True),
        sa.Column("session_id", sa.Text, nullable=True),
        sa.Column("status", sa.Text, nullable=False, server_default="new"),
        sa.Column("score", sa.Integer, nullable=True),
        sa.Column("metadata", JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
        sa.Column("created_at", TZ, nullable=False, server_default=NOW),
        sa.Column("updated_at", TZ, nullable=False, server_default=NOW),
        sa.CheckConstraint(
            "status IN ('new', 'qualified', 'contacted', 'converted', 'lost')", name="lead_status_known"
        ),
        sa.CheckConstraint("score IS NULL OR score BETWEEN 0 AND 100", name="lead_score_range"),
    )
    op.create_index("ix_lead_created", "lead", ["created_at"])
    op.create_index("ix_lead_user", "lead", ["user_id"])
    op.create_table(
        "lead_analysis",
        sa.Column("id", UUID(as_uuid=False), primary_key=True),
        sa.Column(
            "lead_id", UUID(as_uuid=False), sa.ForeignKey("lead.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("score", sa.Integer, nullable=False),
        sa.Column("intent", sa.Text, nullable=False),
        sa.Column("next_step", sa.Text, nullable=False),
        sa.Column("reasons", JSONB, nullable=False, server_default=sa.text("'[]'::jsonb")),
        sa.Column("method", sa.Text, nullable=False),  # "rules" or "llm:<provider>"
        sa.Column("created_at", TZ, nullable=False, server_default=NOW),
        sa.CheckConstraint("score BETWEEN 0 AND 100", name="lead_analysis_score_range"),
    )
    op.create_index("ix_lead_analysis_lead", "lead_analysis", ["lead_id", "created_at"])


def downgrade() -> None:
    op.drop_table("lead_analysis")
    op.drop_table("lead")
