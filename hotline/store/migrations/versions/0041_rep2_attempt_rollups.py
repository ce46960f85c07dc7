"""attempt_rollups: the campaign report's attempt counts per 15-minute bucket, and the marks
that make a rolled bucket stale when its attempts are written later (issue 19 item 3)

Revision ID: 0041_rep2_attempt_rollups
Revises: 0040_claims_index
Create Date: 2026-12-05

As for the IVR roll-ups (migration 0031) the marks are written by triggers in the writer's own
transaction, only for attempts created more than 15 minutes before (the database's clock): the
dialer's live writes cost one comparison, and no two writers contend for the current
bucket's mark.  Only the columns the counts group by fire the update triggers.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0041_rep2_attempt_rollups"
down_revision: str | None = "0040_claims_index"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# What the counts read: a change to any other column leaves a rolled bucket exact.
COLUMNS = "campaign_id, created_at, number, status, reason, result"
_OPS = ("insert", "update", "delete")

_SQLITE_MARK = (
    "INSERT INTO attempt_rollup_marks (bucket, n) "
    "SELECT CAST(strftime('%s', substr({x}, 1, 19)) AS INTEGER) / 900, 1 "
    "WHERE {x} < strftime('%Y-%m-%d %H:%M:%f', 'now', '-15 minutes') "
    "ON CONFLICT (bucket) DO UPDATE SET n = n + 1;"
)

_PG_FUNCTIONS = f"""
CREATE FUNCTION attempt_rollup_mark(created timestamptz) RETURNS void AS $$
BEGIN
  IF created < clock_timestamp() - interval '15 minutes' THEN
    INSERT INTO attempt_rollup_marks (bucket, n)
    VALUES (floor(extract(epoch FROM created) / 900)::integer, 1)
    ON CONFLICT (bucket) DO UPDATE SET n = attempt_rollup_marks.n + 1;
  END IF;
END $$ LANGUAGE plpgsql;

CREATE FUNCTION attempt_rollup_mark_attempt() RETURNS trigger AS $$
BEGIN
  IF TG_OP <> 'INSERT' THEN PERFORM attempt_rollup_mark(OLD.created_at); END IF;
  IF TG_OP <> 'DELETE' THEN PERFORM attempt_rollup_mark(NEW.created_at); END IF;
  RETURN NULL;
END $$ LANGUAGE plpgsql;

CREATE TRIGGER attempt_rollup_attempts AFTER INSERT OR DELETE OR UPDATE OF {COLUMNS}
ON dial_attempts FOR EACH ROW EXECUTE FUNCTION attempt_rollup_mark_attempt();
"""


def sqlite_trigger_names() -> list[str]:
    return [f"attempt_rollup_attempts_{name}" for name in _OPS]


def sqlite_triggers() -> list[str]:
    out = []
    for name, event, rows in zip(
        sqlite_trigger_names(),
        ("INSERT", f"UPDATE OF {COLUMNS}", "DELETE"),
        (("NEW",), ("OLD", "NEW"), ("OLD",)),
        strict=True,
    ):
        body = " ".join(_SQLITE_MARK.format(x=f"{row}.created_at") for row in rows)
        out.append(f"CREATE TRIGGER {name} AFTER {event} ON dial_attempts BEGIN {body} END")
    return out


def upgrade() -> None:
    op.create_table(
        "attempt_rollups",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("bucket", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=True),
        sa.Column("result", sa.String(length=32), nullable=True),
        sa.Column("count", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_attempt_rollups_campaign_id_campaigns"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attempt_rollups")),
    )
    op.create_index(
        "ix_attempt_rollups_campaign", "attempt_rollups", ["campaign_id", "bucket"], unique=False
    )
    op.create_table(
        "attempt_rollup_buckets",
        sa.Column("bucket", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("rolled_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("bucket", name=op.f("pk_attempt_rollup_buckets")),
    )
    op.create_table(
        "attempt_rollup_marks",
        sa.Column("bucket", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("n", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("bucket", name=op.f("pk_attempt_rollup_marks")),
    )
    if op.get_bind().dialect.name == "sqlite":
        for statement in sqlite_triggers():
            op.execute(statement)
    else:
        op.execute(_PG_FUNCTIONS)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name in sqlite_trigger_names():
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    else:
        op.execute("DROP TRIGGER IF EXISTS attempt_rollup_attempts ON dial_attempts")
        op.execute("DROP FUNCTION IF EXISTS attempt_rollup_mark_attempt()")
        op.execute("DROP FUNCTION IF EXISTS attempt_rollup_mark(timestamptz)")
    op.drop_table("attempt_rollup_marks")
    op.drop_table("attempt_rollup_buckets")
    op.drop_index("ix_attempt_rollups_campaign", table_name="attempt_rollups")
    op.drop_table("attempt_rollups")
