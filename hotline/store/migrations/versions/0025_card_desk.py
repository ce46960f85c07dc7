"""call_dispositions, card_views, operator_pauses: the operator's desk (issue 17)

Revision ID: 0025_card_desk
Revises: 0018_rating_answers
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0025_card_desk"
down_revision: str | None = "0024_workers_cluster"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "call_dispositions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("uniqueid", sa.String(length=64), nullable=False),
        sa.Column("operator", sa.String(length=64), nullable=False),
        sa.Column("call_type", sa.String(length=16), nullable=False),
        sa.Column("result", sa.String(length=32), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_call_dispositions")),
        sa.UniqueConstraint("uniqueid", "operator", name=op.f("uq_call_dispositions_uniqueid")),
    )
    op.create_index("ix_call_dispositions_at", "call_dispositions", ["at"])
    op.create_table(
        "card_views",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("uniqueid", sa.String(length=64), nullable=False),
        sa.Column("operator", sa.String(length=64), nullable=False),
        sa.Column("connected_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("shown_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("seconds", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_card_views")),
        sa.UniqueConstraint("uniqueid", "operator", name=op.f("uq_card_views_uniqueid")),
    )
    op.create_index("ix_card_views_connected_at", "card_views", ["connected_at"])
    op.create_table(
        "operator_pauses",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("operator", sa.String(length=64), nullable=False),
        sa.Column("reason", sa.String(length=64), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("until", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_operator_pauses")),
    )
    op.create_index(
        "ix_operator_pauses_operator_started_at", "operator_pauses", ["operator", "started_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_operator_pauses_operator_started_at", table_name="operator_pauses")
    op.drop_table("operator_pauses")
    op.drop_index("ix_card_views_connected_at", table_name="card_views")
    op.drop_table("card_views")
    op.drop_index("ix_call_dispositions_at", table_name="call_dispositions")
    op.drop_table("call_dispositions")
