"""dial_attempts.operator, talk_seconds: who took a progressive campaign's callee, and for
how long (issue 22 item 2)

Revision ID: 0020_campaigns_attempt_operator
Revises: 0019_campaigns_survey_answers
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020_campaigns_attempt_operator"
down_revision: str | None = "0019_campaigns_survey_answers"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("dial_attempts") as batch:
        batch.add_column(sa.Column("operator", sa.String(length=128), nullable=True))
        batch.add_column(sa.Column("talk_seconds", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("dial_attempts") as batch:
        batch.drop_column("talk_seconds")
        batch.drop_column("operator")
