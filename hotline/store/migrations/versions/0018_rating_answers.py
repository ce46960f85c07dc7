"""rating_answers: a caller's 1-5 rating of the operator call (issue 16 item 5)

Revision ID: 0018_rating_answers
Revises: 0017_menus_drafts
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018_rating_answers"
down_revision: str | None = "0017_menus_drafts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "rating_answers",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("call_id", sa.String(length=64), nullable=False),
        sa.Column("caller", sa.String(length=32), nullable=False),
        sa.Column("operator", sa.String(length=128), nullable=False),
        sa.Column("score", sa.SmallInteger(), nullable=False),
        sa.Column("rated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rating_answers")),
    )
    op.create_index("ix_rating_answers_caller_rated_at", "rating_answers", ["caller", "rated_at"])
    op.create_index(
        "ix_rating_answers_operator_rated_at", "rating_answers", ["operator", "rated_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_rating_answers_operator_rated_at", table_name="rating_answers")
    op.drop_index("ix_rating_answers_caller_rated_at", table_name="rating_answers")
    op.drop_table("rating_answers")
