"""published IVR menu versions

Revision ID: 0003_menu_versions
Revises: 0002_hours_emergency
Create Date: 2026-11-24
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_menu_versions"
down_revision: str | None = "0002_hours_emergency"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "menu_versions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("author", sa.String(length=64), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("source", sa.String(length=1024), nullable=False),
        sa.Column("rollback_of", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_menu_versions")),
    )


def downgrade() -> None:
    op.drop_table("menu_versions")
