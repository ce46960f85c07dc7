"""report indexes: the campaign report's aggregates and its ordered export read an index
instead of the table (issue 19, item 3)

Revision ID: 0011_rep_report_indexes
Revises: 0010_account_pin
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0011_rep_report_indexes"
down_revision: str | None = "0010_account_pin"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_campaign_targets_report",
        "campaign_targets",
        ["campaign_id", "state", "result", "reason"],
    )
    op.create_index(
        "ix_dial_attempts_report",
        "dial_attempts",
        ["campaign_id", "number", "status", "reason"],
    )
    op.create_index(
        "ix_dial_attempts_campaign_created",
        "dial_attempts",
        ["campaign_id", "created_at", "result"],
    )


def downgrade() -> None:
    op.drop_index("ix_dial_attempts_campaign_created", table_name="dial_attempts")
    op.drop_index("ix_dial_attempts_report", table_name="dial_attempts")
    op.drop_index("ix_campaign_targets_report", table_name="campaign_targets")
