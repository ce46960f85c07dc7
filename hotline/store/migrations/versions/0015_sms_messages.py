"""sms: the durable outbox of SMS sent through Kannel, with each message's history, and the
SMS state of campaign contacts (R-091, R-092; issue 16 item 4, issue 22 item 3)

Revision ID: 0015_sms_messages
Revises: 0014_outages_current
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015_sms_messages"
down_revision: str | None = "0014_outages_current"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sms_messages",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("encoding", sa.String(length=8), nullable=False),
        sa.Column("parts", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("reference", sa.String(length=64), nullable=True),
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("tries", sa.Integer(), nullable=False),
        sa.Column("next_try_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.Column("queued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("failed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sms_messages")),
    )
    op.create_index(op.f("ix_sms_messages_phone"), "sms_messages", ["phone"])
    op.create_index(op.f("ix_sms_messages_reference"), "sms_messages", ["reference"])
    op.create_index(op.f("ix_sms_messages_queued_at"), "sms_messages", ["queued_at"])
    op.create_index("ix_sms_messages_due", "sms_messages", ["status", "next_try_at"])
    op.create_table(
        "sms_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("dlr_type", sa.Integer(), nullable=True),
        sa.Column("detail", sa.String(length=500), nullable=True),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["sms_messages.id"],
            name=op.f("fk_sms_events_message_id_sms_messages"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sms_events")),
    )
    op.create_index(op.f("ix_sms_events_message_id"), "sms_events", ["message_id"])
    # Campaign contacts informed by SMS (their chosen channel, or after a final negative
    # call).  Plain ALTER TABLE (as 0013 does): SQLite adds a nullable column in place.
    op.add_column("campaign_targets", sa.Column("sms_status", sa.String(length=32)))
    op.add_column("campaign_targets", sa.Column("sms_id", sa.Integer()))
    op.add_column("campaign_targets", sa.Column("sms_at", sa.DateTime(timezone=True)))


def downgrade() -> None:
    op.drop_column("campaign_targets", "sms_at")
    op.drop_column("campaign_targets", "sms_id")
    op.drop_column("campaign_targets", "sms_status")
    op.drop_index(op.f("ix_sms_events_message_id"), table_name="sms_events")
    op.drop_table("sms_events")
    op.drop_index("ix_sms_messages_due", table_name="sms_messages")
    op.drop_index(op.f("ix_sms_messages_queued_at"), table_name="sms_messages")
    op.drop_index(op.f("ix_sms_messages_reference"), table_name="sms_messages")
    op.drop_index(op.f("ix_sms_messages_phone"), table_name="sms_messages")
    op.drop_table("sms_messages")
