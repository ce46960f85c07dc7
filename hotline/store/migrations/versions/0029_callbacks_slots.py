"""callbacks: the agreed window (due_at, due_until; issue 16 item 3, R-109)

Revision ID: 0029_callbacks_slots
Revises: 0025_card_desk
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0029_callbacks_slots"
down_revision: str | None = "0028_calendar_schedules"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("callbacks", schema=None) as batch_op:
        batch_op.add_column(sa.Column("due_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("due_until", sa.DateTime(timezone=True), nullable=True))
    op.create_index("ix_callbacks_due_at", "callbacks", ["due_at"])


def downgrade() -> None:
    op.drop_index("ix_callbacks_due_at", table_name="callbacks")
    with op.batch_alter_table("callbacks", schema=None) as batch_op:
        batch_op.drop_column("due_until")
        batch_op.drop_column("due_at")
