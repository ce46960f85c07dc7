"""campaign_schedules, campaign_schedule_runs: campaigns repeating monthly (issue 22 item 5)

Revision ID: 0028_calendar_schedules
Revises: 0025_card_desk
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0028_calendar_schedules"
down_revision: str | None = "0027_webhooks_outbox"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "campaign_schedules",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("scenario", sa.String(length=128), nullable=False),
        sa.Column("scenario_version", sa.Integer(), nullable=True),
        sa.Column("day_of_month", sa.Integer(), nullable=False),
        sa.Column("account_filter", _JSON, nullable=False),
        sa.Column("rules", _JSON, nullable=False),
        sa.Column("run_days", sa.Integer(), nullable=True),
        sa.Column("author", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaign_schedules")),
        sa.UniqueConstraint("name", name=op.f("uq_campaign_schedules_name")),
    )
    op.create_table(
        "campaign_schedule_runs",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("schedule_id", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("state", sa.String(length=32), nullable=False),
        sa.Column("campaign", sa.String(length=128), nullable=True),
        sa.Column("detail", _JSON, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["schedule_id"],
            ["campaign_schedules.id"],
            name=op.f("fk_campaign_schedule_runs_schedule_id_campaign_schedules"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaign_schedule_runs")),
        sa.UniqueConstraint(
            "schedule_id", "period", name=op.f("uq_campaign_schedule_runs_schedule_id")
        ),
    )


def downgrade() -> None:
    op.drop_table("campaign_schedule_runs")
    op.drop_table("campaign_schedules")
