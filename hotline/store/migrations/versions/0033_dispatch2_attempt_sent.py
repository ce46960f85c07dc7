"""dial_attempts.sent: the Originate went out (issue 19 item 4: batched dispatch)

An attempt of a dispatcher batch is written with ``sent`` false and marked just before its
Originate; a dead worker's attempts never sent go back to pending when adopted.  Existing
rows are taken as sent (their fate is unknown, as before).

Revision ID: 0033_dispatch2_attempt_sent
Revises: 0030_callbacks_attempts
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0033_dispatch2_attempt_sent"
down_revision: str | None = "0032_lease_node_leases"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ALTER TABLE on both databases (a batch copy on SQLite would drop the expression
    # index ix_dial_attempts_minute).
    op.add_column(
        "dial_attempts", sa.Column("sent", sa.Boolean(), server_default=sa.true(), nullable=False)
    )


def downgrade() -> None:
    op.drop_column("dial_attempts", "sent")
