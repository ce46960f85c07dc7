"""A partial index on the contacts' claims (issue 19): on PostgreSQL every dispatcher pass
releases the contacts its worker claimed and did not dial, an UPDATE by ``claimed_by`` that
scanned every contact of every campaign; only the claimed few are in this index.

Revision ID: 0040_claims_index
Revises: 0039_qrep_report_indexes
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0040_claims_index"
down_revision: str | None = "0039_qrep_report_indexes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CLAIMED = "claimed_by IS NOT NULL"  # kept in step with hotline.store.models.campaigns


def upgrade() -> None:
    op.create_index(
        "ix_campaign_targets_claimed",
        "campaign_targets",
        ["claimed_by"],
        postgresql_where=sa.text(CLAIMED),
        sqlite_where=sa.text(CLAIMED),
    )


def downgrade() -> None:
    op.drop_index("ix_campaign_targets_claimed", table_name="campaign_targets")
