"""menus: the shared draft of the console's menu editor (issue 23)

Revision ID: 0017_menus_drafts
Revises: 0016_appeals_register
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017_menus_drafts"
down_revision: str | None = "0016_appeals_register"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "menu_drafts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("author", sa.String(length=64), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_menu_drafts")),
    )


def downgrade() -> None:
    op.drop_table("menu_drafts")
