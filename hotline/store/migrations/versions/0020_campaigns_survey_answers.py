"""survey_answers: a callee's keypad answer to one survey question (issue 22 item 1)

Revision ID: 0020_campaigns_survey_answers
Revises: 0018_rating_answers
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020_campaigns_survey_answers"
down_revision: str | None = "0019_kb_articles"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "survey_answers",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("attempt_id", sa.String(length=64), nullable=False),
        sa.Column("phone", sa.String(length=32), nullable=False),
        sa.Column("question", sa.String(length=32), nullable=False),
        sa.Column("answer", sa.SmallInteger(), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_survey_answers_campaign_id_campaigns"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey_answers")),
    )
    op.create_index(
        "ix_survey_answers_phone_answered_at", "survey_answers", ["phone", "answered_at"]
    )
    op.create_index(
        "ix_survey_answers_campaign_question", "survey_answers", ["campaign_id", "question"]
    )


def downgrade() -> None:
    op.drop_index("ix_survey_answers_campaign_question", table_name="survey_answers")
    op.drop_index("ix_survey_answers_phone_answered_at", table_name="survey_answers")
    op.drop_table("survey_answers")
