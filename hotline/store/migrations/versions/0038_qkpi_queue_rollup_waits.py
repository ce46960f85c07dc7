"""queue_rollups.wait_us: a queued call's wait in whole microseconds, computed by the roll-up
job, so the queue KPIs are integer sums in SQL (issue 19 item 3): SQLite's date functions
cost two date parses per row and keep only milliseconds.

Revision ID: 0038_qkpi_queue_rollup_waits
Revises: 0037_sipcap_calls_caller
Create Date: 2026-12-04

Rows rolled before have no wait: every rolled bucket is marked stale, so the report reads
them from the events (exact) until the job rolls them again with their waits.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0038_qkpi_queue_rollup_waits"
down_revision: str | None = "0037_sipcap_calls_caller"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("queue_rollups") as batch:
        batch.add_column(sa.Column("wait_us", sa.BigInteger(), nullable=True))
    # Every rolled bucket marked stale (one already marked stays so), not forgotten: the doctor's
    # upgrade check keeps every row, and the job rolls marked buckets again.
    op.execute(
        "INSERT INTO queue_rollup_marks (bucket, n) "
        "SELECT bucket, 1 FROM queue_rollup_buckets WHERE true "
        "ON CONFLICT (bucket) DO NOTHING"
    )


def downgrade() -> None:
    with op.batch_alter_table("queue_rollups") as batch:
        batch.drop_column("wait_us")
