"""call_quality: RTP statistics of a call against R-132/R-133 (issue 17 item 8; R-135)

Revision ID: 0023_desk_call_quality
Revises: 0022_desk_transfers
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0023_desk_call_quality"
down_revision: str | None = "0022_desk_transfers"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "call_quality",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("uniqueid", sa.String(length=64), nullable=False),
        sa.Column("channel", sa.String(length=128), nullable=True),
        sa.Column("rx_packets", sa.Integer(), nullable=False),
        sa.Column("tx_packets", sa.Integer(), nullable=False),
        sa.Column("lost", sa.Integer(), nullable=False),
        sa.Column("remote_lost", sa.Integer(), nullable=False),
        sa.Column("loss", sa.Float(), nullable=False),
        sa.Column("jitter_ms", sa.Float(), nullable=False),
        sa.Column("rtt_ms", sa.Float(), nullable=False),
        sa.Column("flagged", sa.Boolean(), nullable=False),
        sa.Column("problems", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_call_quality")),
    )
    op.create_index(op.f("ix_call_quality_at"), "call_quality", ["at"])
    op.create_index(op.f("ix_call_quality_uniqueid"), "call_quality", ["uniqueid"])
    op.create_index(op.f("ix_call_quality_flagged"), "call_quality", ["flagged"])


def downgrade() -> None:
    op.drop_index(op.f("ix_call_quality_flagged"), table_name="call_quality")
    op.drop_index(op.f("ix_call_quality_uniqueid"), table_name="call_quality")
    op.drop_index(op.f("ix_call_quality_at"), table_name="call_quality")
    op.drop_table("call_quality")
