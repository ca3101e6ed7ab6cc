"""Initial schema: content, documents, users, chat sessions and messages, query log.

Revision ID: 0001
Revises:
Create Date: 2025-01-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TZ = sa.DateTime(timezone=True)
NOW = sa.func.now()


def _timestamps() -> list[sa.Column[object]]:
    return [
        sa.Column("created_at", TZ, nullable=False, server_default=NOW),
        sa.Column("updated_at", TZ, nullable=False, server_default=NOW),
    ]


def _serial_id() -> sa.Column[object]:
    return sa.Column("id", sa.BigInteger, sa.Identity(always=False), primary_key=True)


def upgrade() -> None:
    op.create_table(
        "faq_item",
        _serial_id(),
        sa.Column("question", sa.Text, nullable=False),
        sa.Column("answer", sa.Text, nullable=False),
        sa.Column("is_active", sa.Boolean, nullable=False, server_default=sa.true()),
        *_timestamps(),
    )
    op.create_table(
        "emergency_contact",
        _serial_id(),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("phone_number", sa.Text, nullable=False),
        sa.Column("description", sa.Text, nullable=False, server_default=""),
        sa.Column("is_active", sa.Boolean, nullable=False, server_default=sa.true()),
        *_timestamps(),
    )
    op.create_table(
        "event",
        _serial_id(),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("description", sa.Text, nullable=False, server_default=""),
        sa.Column("address", sa.Text, nullable=False, server_default=""),
        sa.Column("date_start", TZ, nullable=False),
        sa.Column("date_end", TZ, nullable=True),
        sa.Column("is_active", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("featured", sa.Boolean, nullable=False, server_default=sa.false()),
        # [{"type": "adult", "amount": 12.5, "currency": "EUR"}, ...]
        sa.Column("price", JSONB, nullable=False, server_default=sa.text("'[]'::jsonb")),
        *_timestamps(),
        sa.CheckConstraint("date_end IS NULL OR date_end >= date_start", name="event_end_after_start"),
    )
    op.create_index("ix_event_date_start", "event", ["date_start"])

    op.create_table(
        "document",
        sa.Column("id", sa.Text, primary_key=True),  # UUID4 string
        sa.Column("owner", sa.Text, nullable=False),
        sa.Column("filename", sa.Text, nullable=False),
        sa.Column("content_type", sa.Text, nullable=False),
        sa.Column("size_bytes", sa.BigInteger, nullable=False),
        sa.Column("storage_key", sa.Text, nullable=False),
        sa.Column("chat_id", sa.Text, nullable=True),
        sa.Column("status", sa.Text, nullable=False, server_default="uploaded"),
        sa.Column("chunks", sa.Integer, nullable=False, server_default="0"),
        sa.Column("error", sa.Text, nullable=True),
        *_timestamps(),
        sa.CheckConstraint("status IN ('uploaded', 'parsed', 'failed')", name="document_status_known"),
        sa.CheckConstraint("size_bytes >= 0 AND chunks >= 0", name="document_counts_not_negative"),
    )
    op.create_index("ix_document_owner", "document", ["owner"])
    op.create_index("ix_document_chat_id", "document", ["chat_id"])

    op.create_table(
        "app_user",
        sa.Column("id", sa.Text, primary_key=True),  # UUID4 string
        sa.Column("username", sa.Text, nullable=False, unique=True),
        sa.Column("password_hash", sa.Text, nullable=True),
        sa.Column("role", sa.Text, nullable=False, server_default="user"),
        sa.Column("full_name", sa.Text, nullable=False, server_default=""),
        sa.Column("is_active", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("created_at", TZ, nullable=False, server_default=NOW),
        sa.CheckConstraint("role IN ('user', 'admin')", name="app_user_role_known"),
    )

    op.create_table(
        "chat_session",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("user_id", sa.Text, nullable=False),
        sa.Column("title", sa.Text, nullable=False, server_default=""),
        sa.Column("metadata", JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
        *_timestamps(),
    )
    op.create_index("ix_chat_session_user_updated", "chat_session", ["user_id", "updated_at"])
    op.create_index("ix_chat_session_updated_at", "chat_session", ["updated_at"])

    op.create_table(
        "chat_message",
        sa.Column("id", sa.Text, primary_key=True),
        # insertion order inside a session, immune to clock ties
        sa.Column("seq", sa.BigInteger, sa.Identity(always=False), nullable=False, unique=True),
        sa.Column(
            "session_id",
            sa.Text,
            sa.ForeignKey("chat_session.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("role", sa.Text, nullable=False),
        sa.Column("content", sa.Text, nullable=False),
        sa.Column("metadata", JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
        sa.Column("created_at", TZ, nullable=False, server_default=NOW),
        sa.CheckConstraint("role IN ('user', 'assistant', 'system')", name="chat_message_role_known"),
    )
    op.create_index("ix_chat_message_session_id", "chat_message", ["session_id", "seq"])
    op.create_index("ix_chat_message_created_at", "chat_message", ["created_at"])

    op.create_table(
        "query_log",
        sa.Column("id", sa.BigInteger, sa.Identity(always=False), primary_key=True),
        sa.Column("created_at", TZ, nullable=False, server_default=NOW),
        sa.Column("user_id", sa.Text, nullable=True),
        sa.Column("session_id", sa.Text, nullable=True),
        sa.Column("question", sa.Text, nullable=False),
        sa.Column("latency_ms", sa.Float, nullable=True),
        sa.Column("retrieval_ms", sa.Float, nullable=True),
        sa.Column("generation_ms", sa.Float, nullable=True),
        sa.Column("unanswered", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("prompt_tokens", sa.Integer, nullable=True),
        sa.Column("completion_tokens", sa.Integer, nullable=True),
        sa.Column("index_version", sa.Text, nullable=True),
        sa.Column("generator", sa.Text, nullable=True),
        sa.Column("source", sa.Text, nullable=True),
    )
    op.create_index("ix_query_log_created_at", "query_log", ["created_at"])
    op.create_index("ix_query_log_user_id", "query_log", ["user_id"])


def downgrade() -> None:
    for table in (
        "query_log",
        "chat_message",
        "chat_session",
        "app_user",
        "document",
        "event",
        "emergency_contact",
        "faq_item",
    ):
        op.drop_table(table)
