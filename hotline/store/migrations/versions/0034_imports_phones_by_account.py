"""account_phones: an index on account_number (issue 19 item 4: imports at speed)

The accounts import deletes the phones of the accounts it re-imports, 500 at a time, by
account number; the primary key (phone, account_number) cannot serve that, so each chunk
scanned the whole table: a 20,000-account re-import into a store of 300,000 took 13.5 s
instead of 8.3 s, and a full re-import grows with the square of the accounts.

Revision ID: 0034_imports_phones_by_account
Revises: 0033_dispatch2_attempt_sent
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0034_imports_phones_by_account"
down_revision: str | None = "0033_dispatch2_attempt_sent"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(op.f("ix_account_phones_account_number"), "account_phones", ["account_number"])


def downgrade() -> None:
    op.drop_index(op.f("ix_account_phones_account_number"), table_name="account_phones")
