"""call_transfers: an operator's transfers of a caller (issue 17 item 4; R-030, R-041)

Revision ID: 0022_desk_transfers
Revises: 0018_rating_answers
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0022_desk_transfers"
down_revision: str | None = "0021_campaigns_attempt_operator"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "call_transfers",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("call_id", sa.String(length=64), nullable=True),
        sa.Column("uniqueid", sa.String(length=64), nullable=False),
        sa.Column("operator", sa.String(length=128), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("target_kind", sa.String(length=32), nullable=False),
        sa.Column("target", sa.String(length=128), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("answered_by", sa.String(length=128), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_call_transfers")),
    )
    op.create_index(op.f("ix_call_transfers_at"), "call_transfers", ["at"])
    op.create_index("ix_call_transfers_uniqueid", "call_transfers", ["uniqueid"])


def downgrade() -> None:
    op.drop_index("ix_call_transfers_uniqueid", table_name="call_transfers")
    op.drop_index(op.f("ix_call_transfers_at"), table_name="call_transfers")
    op.drop_table("call_transfers")
