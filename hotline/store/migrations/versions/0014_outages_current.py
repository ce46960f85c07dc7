"""outages: current outages with their area, cause and restoration time (issue 15, R-097, R-032)

Revision ID: 0014_outages_current
Revises: 0013_amd_machine
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0014_outages_current"
down_revision: str | None = "0013_amd_machine"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "outages",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("cause", sa.Text(), nullable=False),
        sa.Column("restore_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "area",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("opened_by", sa.String(length=64), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_by", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outages")),
    )
    op.create_index(op.f("ix_outages_opened_at"), "outages", ["opened_at"])
    op.create_index(op.f("ix_outages_closed_at"), "outages", ["closed_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_outages_closed_at"), table_name="outages")
    op.drop_index(op.f("ix_outages_opened_at"), table_name="outages")
    op.drop_table("outages")
