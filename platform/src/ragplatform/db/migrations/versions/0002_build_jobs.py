"""Build jobs: index builds started through the API, visible to every replica.

Revision ID: 0002
Revises: 0001
Create Date: 2025-02-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TZ = sa.DateTime(timezone=True)
NOW = sa.func.now()


def upgrade() -> None:
    op.create_table(
        "build_job",
        sa.Column("id", sa.Text, primary_key=True),  # UUID4 string
        sa.Column("status", sa.Text, nullable=False, server_default="queued"),
        sa.Column("stage", sa.Text, nullable=False, server_default=""),
        sa.Column("done", sa.Integer, nullable=False, server_default="0"),
        sa.Column("total", sa.Integer, nullable=False, server_default="0"),
        sa.Column("spec", JSONB, nullable=False),
        sa.Column("promote", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("promoted", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("version", sa.Text, nullable=True),
        sa.Column("error", sa.Text, nullable=True),
        sa.Column("requested_by", sa.Text, nullable=False, server_default=""),
        # the process running the build: host, pid and its start time (tells a reused pid apart)
        sa.Column("runner_host", sa.Text, nullable=False),
        sa.Column("runner_pid", sa.Integer, nullable=False),
        sa.Column("runner_started", sa.Float, nullable=False),
        sa.Column("heartbeat_at", TZ, nullable=False, server_default=NOW),
        sa.Column("started_at", TZ, nullable=False, server_default=NOW),
        sa.Column("finished_at", TZ, nullable=True),
        sa.CheckConstraint(
            "status IN ('queued', 'running', 'succeeded', 'failed')", name="build_job_status_known"
        ),
        sa.CheckConstraint("done >= 0 AND total >= 0", name="build_job_counts_not_negative"),
    )
    op.create_index("ix_build_job_started_at", "build_job", ["started_at"])
    op.create_index(
        "ix_build_job_active",
        "build_job",
        ["status"],
        postgresql_where=sa.text("status IN ('queued', 'running')"),
    )


def downgrade() -> None:
    op.drop_table("build_job")
