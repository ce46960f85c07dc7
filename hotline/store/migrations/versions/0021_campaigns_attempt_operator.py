"""dial_attempts.operator, talk_seconds: who took a progressive campaign's callee, and for
how long (issue 22 item 2)

Revision ID: 0021_campaigns_attempt_operator
Revises: 0020_campaigns_survey_answers
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021_campaigns_attempt_operator"
down_revision: str | None = "0020_campaigns_survey_answers"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# Plain ALTER TABLE, not a batch (as 0013): a batch would recreate the table on SQLite without
# 0011's expression index (ix_dial_attempts_minute).
def upgrade() -> None:
    op.add_column("dial_attempts", sa.Column("operator", sa.String(length=128), nullable=True))
    op.add_column("dial_attempts", sa.Column("talk_seconds", sa.Integer(), nullable=True))


def downgrade() -> None:
    op.drop_column("dial_attempts", "talk_seconds")
    op.drop_column("dial_attempts", "operator")
