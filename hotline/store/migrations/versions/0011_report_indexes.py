"""report indexes: the campaign report's aggregates and its ordered export read an index
instead of the table (issue 19, item 3)

Revision ID: 0011_report_indexes
Revises: 0010_account_pin
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0011_report_indexes"
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
    if op.get_bind().dialect.name == "sqlite":
        # The hourly chart groups attempts by their UTC minute (``ReportRows.attempt_minutes``):
        # on SQLite that expression, indexed, is read in order instead of sorted.  Not in the
        # models: SQLAlchemy does not reflect expression indexes on SQLite, so it is invisible
        # to the models-match-migrations check.  PostgreSQL hashes the groups and needs none.
        op.execute(
            "CREATE INDEX ix_dial_attempts_minute "
            "ON dial_attempts (campaign_id, substr(created_at, 1, 16), result)"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP INDEX ix_dial_attempts_minute")
    op.drop_index("ix_dial_attempts_campaign_created", table_name="dial_attempts")
    op.drop_index("ix_dial_attempts_report", table_name="dial_attempts")
    op.drop_index("ix_campaign_targets_report", table_name="campaign_targets")
