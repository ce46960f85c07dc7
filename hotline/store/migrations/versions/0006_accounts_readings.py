"""accounts, meters and meter readings

Revision ID: 0006_accounts_readings
Revises: 0005_contact_center
Create Date: 2026-11-24
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_accounts_readings"
down_revision: str | None = "0005_contact_center"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "accounts",
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("address", sa.Text(), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("balance_kopecks", sa.BigInteger(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column("last_payment_kopecks", sa.BigInteger(), nullable=True),
        sa.Column("last_payment_date", sa.Date(), nullable=True),
        sa.Column("avg_monthly_kwh", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("number", name=op.f("pk_accounts")),
    )
    op.create_table(
        "readings",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("call_id", sa.String(length=32), nullable=True),
        sa.Column("account_number", sa.String(length=32), nullable=False),
        sa.Column("meter_id", sa.String(length=32), nullable=False),
        sa.Column("zone", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.Column("previous", sa.BigInteger(), nullable=False),
        sa.Column("consumption", sa.BigInteger(), nullable=False),
        sa.Column("flags", sa.String(length=128), nullable=False),
        sa.Column("needs_review", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("taken_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("superseded_by", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_readings")),
    )
    with op.batch_alter_table("readings", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_readings_account_number"), ["account_number"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_readings_call_id"), ["call_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_readings_period"), ["period"], unique=False)
        batch_op.create_index(batch_op.f("ix_readings_taken_at"), ["taken_at"], unique=False)
        batch_op.create_index(
            "uq_readings_current",
            ["account_number", "meter_id", "zone", "period"],
            unique=True,
            sqlite_where=sa.text("superseded_by IS NULL"),
            postgresql_where=sa.text("superseded_by IS NULL"),
        )

    op.create_table(
        "account_phones",
        sa.Column("phone", sa.String(length=20), nullable=False),
        sa.Column("account_number", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_number"],
            ["accounts.number"],
            name=op.f("fk_account_phones_account_number_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("phone", "account_number", name=op.f("pk_account_phones")),
    )
    op.create_table(
        "meters",
        sa.Column("account_number", sa.String(length=32), nullable=False),
        sa.Column("meter_id", sa.String(length=32), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("zones", sa.Integer(), nullable=False),
        sa.Column("digits", sa.Integer(), nullable=False),
        sa.Column("last_1", sa.Integer(), nullable=True),
        sa.Column("last_2", sa.Integer(), nullable=True),
        sa.Column("last_3", sa.Integer(), nullable=True),
        sa.Column("last_date", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_number"],
            ["accounts.number"],
            name=op.f("fk_meters_account_number_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("account_number", "meter_id", name=op.f("pk_meters")),
    )


def downgrade() -> None:
    op.drop_table("meters")
    op.drop_table("account_phones")
    with op.batch_alter_table("readings", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_readings_current",
            sqlite_where=sa.text("superseded_by IS NULL"),
            postgresql_where=sa.text("superseded_by IS NULL"),
        )
        batch_op.drop_index(batch_op.f("ix_readings_taken_at"))
        batch_op.drop_index(batch_op.f("ix_readings_period"))
        batch_op.drop_index(batch_op.f("ix_readings_call_id"))
        batch_op.drop_index(batch_op.f("ix_readings_account_number"))

    op.drop_table("readings")
    op.drop_table("accounts")
