"""appeals: the appeal register: numbers per year, status history, links (issue 16)

Revision ID: 0016_appeals_register
Revises: 0015_sms_messages
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016_appeals_register"
down_revision: str | None = "0015_sms_messages"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "appeal_counters",
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("last", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("year", name=op.f("pk_appeal_counters")),
    )
    op.create_table(
        "appeals",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("number", sa.String(length=16), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("topic", sa.String(length=32), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("urgency", sa.String(length=32), nullable=False),
        sa.Column("unit", sa.String(length=32), nullable=False),
        sa.Column("account", sa.String(length=64), nullable=True),
        sa.Column("phone", sa.String(length=32), nullable=True),
        sa.Column("customer_name", sa.String(length=200), nullable=True),
        sa.Column("reply_channel", sa.String(length=32), nullable=False),
        sa.Column("reply_address", sa.String(length=300), nullable=True),
        sa.Column("registered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("registered_by", sa.String(length=64), nullable=False),
        sa.Column("deadline", sa.Date(), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("close_reason", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_appeals")),
        sa.UniqueConstraint("number", name=op.f("uq_appeals_number")),
        sa.UniqueConstraint("year", "seq", name="uq_appeals_year_seq"),
    )
    with op.batch_alter_table("appeals", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_appeals_account"), ["account"], unique=False)
        batch_op.create_index(batch_op.f("ix_appeals_category"), ["category"], unique=False)
        batch_op.create_index(batch_op.f("ix_appeals_channel"), ["channel"], unique=False)
        batch_op.create_index(batch_op.f("ix_appeals_deadline"), ["deadline"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_appeals_registered_at"), ["registered_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_appeals_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_appeals_unit"), ["unit"], unique=False)

    op.create_table(
        "appeal_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("appeal_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("by", sa.String(length=64), nullable=False),
        sa.Column("unit", sa.String(length=32), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["appeal_id"],
            ["appeals.id"],
            name=op.f("fk_appeal_events_appeal_id_appeals"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_appeal_events")),
    )
    with op.batch_alter_table("appeal_events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_appeal_events_appeal_id"), ["appeal_id"], unique=False
        )

    op.create_table(
        "appeal_links",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("appeal_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("ref", sa.String(length=1024), nullable=False),
        sa.ForeignKeyConstraint(
            ["appeal_id"],
            ["appeals.id"],
            name=op.f("fk_appeal_links_appeal_id_appeals"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_appeal_links")),
    )
    with op.batch_alter_table("appeal_links", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_appeal_links_appeal_id"), ["appeal_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("appeal_links", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_appeal_links_appeal_id"))

    op.drop_table("appeal_links")
    with op.batch_alter_table("appeal_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_appeal_events_appeal_id"))

    op.drop_table("appeal_events")
    with op.batch_alter_table("appeals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_appeals_unit"))
        batch_op.drop_index(batch_op.f("ix_appeals_status"))
        batch_op.drop_index(batch_op.f("ix_appeals_registered_at"))
        batch_op.drop_index(batch_op.f("ix_appeals_deadline"))
        batch_op.drop_index(batch_op.f("ix_appeals_channel"))
        batch_op.drop_index(batch_op.f("ix_appeals_category"))
        batch_op.drop_index(batch_op.f("ix_appeals_account"))

    op.drop_table("appeals")
    op.drop_table("appeal_counters")
