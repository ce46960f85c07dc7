"""dial_attempts.machine: an answering machine answered the campaign call (issue 15, R-085)

Revision ID: 0013_amd_machine
Revises: 0012_departments
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013_amd_machine"
down_revision: str | None = "0012_departments"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# Plain ALTER TABLE, not a batch: SQLite adds (and, from 3.35, drops) a column in place, and a
# batch would recreate the table without 0011's expression index (ix_dial_attempts_minute).
def upgrade() -> None:
    op.add_column(
        "dial_attempts",
        sa.Column("machine", sa.Boolean(), server_default=sa.false(), nullable=False),
    )


def downgrade() -> None:
    op.drop_column("dial_attempts", "machine")
