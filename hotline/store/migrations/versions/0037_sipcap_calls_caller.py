"""calls.caller indexed: the IVR's first-time-caller lookup at every call's start (issue 19
item 1) reads the caller's own rows instead of scanning the whole call log

Without it ``SELECT count(*) FROM calls WHERE caller = ?`` read every row ever logged, on
the path to the first menu, for every inbound call.

Revision ID: 0037_sipcap_calls_caller
Revises: 0036_queue_rollups
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0037_sipcap_calls_caller"
down_revision: str | None = "0036_queue_rollups"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(op.f("ix_calls_caller"), "calls", ["caller"])


def downgrade() -> None:
    op.drop_index(op.f("ix_calls_caller"), table_name="calls")
