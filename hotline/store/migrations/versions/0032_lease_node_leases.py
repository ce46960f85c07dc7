"""node_leases: which engine worker drives each cluster node's AMI (issue 20)

Revision ID: 0032_lease_node_leases
Revises: 0030_callbacks_attempts
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0032_lease_node_leases"
down_revision: str | None = "0031_reports2_ivr_rollups"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "node_leases",
        sa.Column("node", sa.String(length=32), nullable=False),
        sa.Column("owner", sa.String(length=64), nullable=False),
        sa.Column("epoch", sa.Integer(), nullable=False),
        sa.Column("expires_at", sa.Float(), nullable=False),
        sa.Column("acquired_at", sa.Float(), nullable=False),
        sa.Column("ami_up", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.PrimaryKeyConstraint("node", name=op.f("pk_node_leases")),
    )


def downgrade() -> None:
    op.drop_table("node_leases")
