"""callback_attempts: calls to the customer from the console (issue 16 item 3, R-109)

Revision ID: 0030_callbacks_attempts
Revises: 0029_callbacks_slots
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0030_callbacks_attempts"
down_revision: str | None = "0029_callbacks_slots"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "callback_attempts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("callback_id", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("operator", sa.String(length=64), nullable=False),
        sa.Column("uniqueid", sa.String(length=64), nullable=False),
        sa.Column("result", sa.String(length=32), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("recording_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["callback_id"],
            ["callbacks.id"],
            name=op.f("fk_callback_attempts_callback_id_callbacks"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["recording_id"],
            ["recordings.id"],
            name=op.f("fk_callback_attempts_recording_id_recordings"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_callback_attempts")),
        sa.UniqueConstraint("uniqueid", name=op.f("uq_callback_attempts_uniqueid")),
    )
    op.create_index(op.f("ix_callback_attempts_callback_id"), "callback_attempts", ["callback_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_callback_attempts_callback_id"), table_name="callback_attempts")
    op.drop_table("callback_attempts")
