"""Consumed one-time sign-in tokens, shared by every replica (a token used on one is refused on all).

Revision ID: 0003
Revises: 0002
Create Date: 2025-02-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "consumed_token",
        sa.Column("jti", sa.Text, primary_key=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("consumed_token_expires_at", "consumed_token", ["expires_at"])


def downgrade() -> None:
    op.drop_table("consumed_token")
