"""calls.node: the cluster node a call row belongs to (issue 20: operator-bound calls across
nodes)

Each worker reconciles the open inbound calls of the nodes whose AMI it reads; without the
node, a worker closed every other node's calls as "ended unseen".  Existing rows (one node,
or unknown) get NULL: they stay reconciled by any worker, as before.

Revision ID: 0035_xnode_call_node
Revises: 0034_imports_phones_by_account
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0035_xnode_call_node"
down_revision: str | None = "0034_imports_phones_by_account"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ALTER TABLE on both databases (a batch copy on SQLite would drop the calls
    # triggers of 0031).
    op.add_column("calls", sa.Column("node", sa.String(32), nullable=True))


def downgrade() -> None:
    op.drop_column("calls", "node")
