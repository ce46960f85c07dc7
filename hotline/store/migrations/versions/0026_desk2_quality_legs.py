"""call_quality.leg, call_uniqueid: voice quality per SIP leg of a call (issue 17; R-135)

Revision ID: 0026_desk2_quality_legs
Revises: 0025_card_desk
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0026_desk2_quality_legs"
down_revision: str | None = "0025_card_desk"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# Plain ALTER TABLE with server defaults (SQLite adds a NOT NULL column only with one); the
# rows measured so far are the callers' inbound legs, each its own call.
def upgrade() -> None:
    op.add_column(
        "call_quality",
        sa.Column("leg", sa.String(length=32), nullable=False, server_default="caller"),
    )
    op.add_column(
        "call_quality",
        sa.Column("call_uniqueid", sa.String(length=64), nullable=False, server_default=""),
    )
    op.execute("UPDATE call_quality SET call_uniqueid = uniqueid")
    op.create_index(op.f("ix_call_quality_call_uniqueid"), "call_quality", ["call_uniqueid"])


def downgrade() -> None:
    op.drop_index(op.f("ix_call_quality_call_uniqueid"), table_name="call_quality")
    op.drop_column("call_quality", "call_uniqueid")
    op.drop_column("call_quality", "leg")
