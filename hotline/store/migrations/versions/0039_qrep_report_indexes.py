"""Covering indexes for the summed queue KPIs (issue 19 item 3): the one row of sums over the
rolled calls and the period's totals over ``calls`` read an index alone, not 250,000 wide
table rows each at a million queue events.

Revision ID: 0039_qrep_report_indexes
Revises: 0038_qkpi_queue_rollup_waits
Create Date: 2026-12-04

- ``ix_queue_rollups_sums``: the report's filters first (scope, exact, bucket), then every
  column the sums and the dispositions' join read; the not-exact rolled calls (read from
  their events) become a short range of it instead of a filter over every row;
- ``ix_calls_started_totals``: calls by start with what the period's totals count
  (direction, simulated, outcome, ended_at).
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0039_qrep_report_indexes"
down_revision: str | None = "0038_qkpi_queue_rollup_waits"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Kept in step with the models (hotline.store.models.queue_rollups, .calls).
ROLLUP_SUMS = (
    "scope",
    "exact",
    "bucket",
    "simulated",
    "queued_at",
    "joined_at",
    "connect_at",
    "wait_us",
    "answer_target",
    "callback",
    "talk",
    "readings",
    "personal",
    "outcome",
    "ended",
    "uniqueid",
)
CALL_TOTALS = ("started_at", "direction", "simulated", "outcome", "ended_at")


def upgrade() -> None:
    op.create_index("ix_queue_rollups_sums", "queue_rollups", list(ROLLUP_SUMS))
    op.create_index("ix_calls_started_totals", "calls", list(CALL_TOTALS))


def downgrade() -> None:
    op.drop_index("ix_calls_started_totals", table_name="calls")
    op.drop_index("ix_queue_rollups_sums", table_name="queue_rollups")
