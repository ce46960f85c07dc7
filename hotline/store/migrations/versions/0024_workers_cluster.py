"""workers_cluster: several engine workers on one PostgreSQL (issue 20 items 2 and 3)

Revision ID: 0024_workers_cluster
Revises: 0018_rating_answers
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0024_workers_cluster"
down_revision: str | None = "0023_desk_call_quality"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "engine_workers",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("host", sa.String(length=255), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("node", sa.String(length=32), server_default="", nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ami_up", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_engine_workers")),
    )
    op.create_table(
        "dialer_pacing",
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("next_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_dialer_pacing")),
    )
    # Plain ADD/DROP COLUMN (no batch copy): a batch copy of dial_attempts on SQLite would
    # lose its expression index ix_dial_attempts_minute.
    op.add_column("campaign_targets", sa.Column("claimed_by", sa.String(length=64)))
    op.add_column("campaign_targets", sa.Column("claimed_until", sa.DateTime(timezone=True)))
    op.add_column("dial_attempts", sa.Column("worker", sa.String(length=64)))
    op.add_column("dial_attempts", sa.Column("node", sa.String(length=32)))
    op.add_column("dial_attempts", sa.Column("trunk", sa.String(length=64)))
    op.create_index(op.f("ix_dial_attempts_worker"), "dial_attempts", ["worker"])


def downgrade() -> None:
    op.drop_index(op.f("ix_dial_attempts_worker"), table_name="dial_attempts")
    for column in ("trunk", "node", "worker"):
        op.drop_column("dial_attempts", column)
    for column in ("claimed_until", "claimed_by"):
        op.drop_column("campaign_targets", column)
    op.drop_table("dialer_pacing")
    op.drop_table("engine_workers")
