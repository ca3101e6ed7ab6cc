"""Workflows (API 02): runs and their steps, and procrastinate's task-queue schema they run on.

Revision ID: 0007
Revises: 0006
Create Date: 2025-02-16
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB, UUID

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TZ = sa.DateTime(timezone=True)
NOW = sa.func.now()
STATUSES = "('queued', 'running', 'completed', 'failed')"


def upgrade() -> None:
    from procrastinate.schema import SchemaManager

    # procrastinate's tables, types and functions, as the pinned version ships them
    op.execute(SchemaManager.get_schema())
    op.create_table(
        "workflow_run",
        sa.Column("id", UUID(as_uuid=False), primary_key=True),
        sa.Column("workflow_id", sa.Text, nullable=False),
        sa.Column("user_id", sa.Text, nullable=False),  # who started it: events and reads are theirs
        sa.Column("status", sa.Text, nullable=False, server_default="queued"),
        sa.Column("step", sa.Text, nullable=False, server_default=""),
        sa.Column("progress", sa.Float, nullable=False, server_default="0"),
        sa.Column("inputs", JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
        sa.Column("outputs", JSONB, nullable=True),
        sa.Column("error", sa.Text, nullable=True),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("job_id", sa.BigInteger, nullable=True),  # procrastinate_jobs.id
        sa.Column("created_at", TZ, nullable=False, server_default=NOW),
        sa.Column("started_at", TZ, nullable=True),
        sa.Column("finished_at", TZ, nullable=True),
        sa.Column("updated_at", TZ, nullable=False, server_default=NOW),
        sa.CheckConstraint(f"status IN {STATUSES}", name="workflow_run_status_known"),
        sa.CheckConstraint("progress >= 0 AND progress <= 1", name="workflow_run_progress_range"),
    )
    op.create_index("ix_workflow_run_user_created", "workflow_run", ["user_id", "created_at"])
    op.create_index(
        "ix_workflow_run_active",
        "workflow_run",
        ["status"],
        postgresql_where=sa.text("status IN ('queued', 'running')"),
    )
    op.create_table(
        "workflow_step",
        sa.Column(
            "run_id",
            UUID(as_uuid=False),
            sa.ForeignKey("workflow_run.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("status", sa.Text, nullable=False, server_default="queued"),
        sa.Column("progress", sa.Float, nullable=False, server_default="0"),
        sa.Column("detail", JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
        sa.Column("started_at", TZ, nullable=True),
        sa.Column("finished_at", TZ, nullable=True),
        sa.PrimaryKeyConstraint("run_id", "position"),
        sa.CheckConstraint(f"status IN {STATUSES}", name="workflow_step_status_known"),
    )


def downgrade() -> None:
    op.drop_table("workflow_step")
    op.drop_table("workflow_run")
    op.execute(
        "DROP TABLE IF EXISTS procrastinate_events, procrastinate_periodic_defers, procrastinate_jobs, procrastinate_workers CASCADE"
    )
