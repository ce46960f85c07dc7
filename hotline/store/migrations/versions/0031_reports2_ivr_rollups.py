"""ivr_rollups: the IVR report's figures per 15-minute bucket, and the marks that make a
rolled bucket stale when its calls or events are written later (issue 19 item 3)

Revision ID: 0031_reports2_ivr_rollups
Revises: 0030_callbacks_attempts
Create Date: 2026-12-04

The marks are written by triggers in the writer's own transaction, so no code path that
writes ``calls`` or ``call_events`` can leave a rolled bucket looking exact when it is not.
Only calls started more than 15 minutes before (the database's clock) are marked: the job
rolls buckets an hour after they end (``hotline.store.ivr_rollups.ROLL_AFTER``), so a live
call's writes cost one comparison, and no two writers contend for the current bucket's mark.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0031_reports2_ivr_rollups"
down_revision: str | None = "0030_callbacks_attempts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_SQLITE_BUCKET = "CAST(strftime('%s', substr({x}, 1, 19)) AS INTEGER) / 900"
_SQLITE_OLD = "{x} < strftime('%Y-%m-%d %H:%M:%f', 'now', '-15 minutes')"
_SQLITE_MARK = (
    "INSERT INTO ivr_rollup_marks (bucket, n) SELECT {bucket}, 1 WHERE {old} "
    "ON CONFLICT (bucket) DO UPDATE SET n = n + 1;"
)
_SQLITE_EVENT_MARK = (
    "INSERT INTO ivr_rollup_marks (bucket, n) "
    "SELECT CAST(strftime('%s', substr(c.started_at, 1, 19)) AS INTEGER) / 900, 1 "
    "FROM calls c WHERE c.id = {row}.call_id "
    "AND c.started_at < strftime('%Y-%m-%d %H:%M:%f', 'now', '-15 minutes') "
    "ON CONFLICT (bucket) DO UPDATE SET n = n + 1;"
)

_PG_FUNCTIONS = """
CREATE FUNCTION ivr_rollup_mark(started timestamptz) RETURNS void AS $$
BEGIN
  IF started < clock_timestamp() - interval '15 minutes' THEN
    INSERT INTO ivr_rollup_marks (bucket, n)
    VALUES (floor(extract(epoch FROM started) / 900)::integer, 1)
    ON CONFLICT (bucket) DO UPDATE SET n = ivr_rollup_marks.n + 1;
  END IF;
END $$ LANGUAGE plpgsql;

CREATE FUNCTION ivr_rollup_mark_call() RETURNS trigger AS $$
BEGIN
  IF TG_OP <> 'INSERT' THEN PERFORM ivr_rollup_mark(OLD.started_at); END IF;
  IF TG_OP <> 'DELETE' THEN PERFORM ivr_rollup_mark(NEW.started_at); END IF;
  RETURN NULL;
END $$ LANGUAGE plpgsql;

CREATE FUNCTION ivr_rollup_mark_event() RETURNS trigger AS $$
DECLARE row_call varchar;
BEGIN
  IF TG_OP = 'DELETE' THEN row_call := OLD.call_id; ELSE row_call := NEW.call_id; END IF;
  PERFORM ivr_rollup_mark(c.started_at) FROM calls c WHERE c.id = row_call;
  RETURN NULL;
END $$ LANGUAGE plpgsql;

CREATE TRIGGER ivr_rollup_calls AFTER INSERT OR UPDATE OR DELETE ON calls
FOR EACH ROW EXECUTE FUNCTION ivr_rollup_mark_call();

CREATE TRIGGER ivr_rollup_call_events AFTER INSERT OR UPDATE OR DELETE ON call_events
FOR EACH ROW EXECUTE FUNCTION ivr_rollup_mark_event();
"""


def _sqlite_triggers() -> list[str]:
    def mark(row: str) -> str:
        x = f"{row}.started_at"
        return _SQLITE_MARK.format(bucket=_SQLITE_BUCKET.format(x=x), old=_SQLITE_OLD.format(x=x))

    out = []
    for op_name, rows in (("INSERT", ("NEW",)), ("UPDATE", ("OLD", "NEW")), ("DELETE", ("OLD",))):
        body = " ".join(mark(r) for r in rows)
        out.append(
            f"CREATE TRIGGER ivr_rollup_calls_{op_name.lower()} AFTER {op_name} ON calls "
            f"BEGIN {body} END"
        )
    for op_name, row in (("INSERT", "NEW"), ("UPDATE", "NEW"), ("DELETE", "OLD")):
        out.append(
            f"CREATE TRIGGER ivr_rollup_call_events_{op_name.lower()} AFTER {op_name} "
            f"ON call_events BEGIN {_SQLITE_EVENT_MARK.format(row=row)} END"
        )
    return out


def upgrade() -> None:
    op.create_table(
        "ivr_rollups",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("bucket", sa.Integer(), nullable=False),
        sa.Column("simulated", sa.Boolean(), nullable=False),
        sa.Column("section", sa.String(length=16), nullable=False),
        sa.Column("a", sa.Text(), nullable=True),
        sa.Column("b", sa.Text(), nullable=True),
        sa.Column("c", sa.Text(), nullable=True),
        sa.Column("count", sa.BigInteger(), nullable=False),
        sa.Column("seconds", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ivr_rollups")),
    )
    op.create_index("ix_ivr_rollups_bucket", "ivr_rollups", ["bucket"], unique=False)
    op.create_table(
        "ivr_rollup_buckets",
        sa.Column("bucket", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("rolled_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("bucket", name=op.f("pk_ivr_rollup_buckets")),
    )
    op.create_table(
        "ivr_rollup_marks",
        sa.Column("bucket", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("n", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("bucket", name=op.f("pk_ivr_rollup_marks")),
    )
    if op.get_bind().dialect.name == "sqlite":
        for statement in _sqlite_triggers():
            op.execute(statement)
    else:
        op.execute(_PG_FUNCTIONS)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for table in ("calls", "call_events"):
            for op_name in ("insert", "update", "delete"):
                op.execute(f"DROP TRIGGER IF EXISTS ivr_rollup_{table}_{op_name}")
    else:
        op.execute("DROP TRIGGER IF EXISTS ivr_rollup_calls ON calls")
        op.execute("DROP TRIGGER IF EXISTS ivr_rollup_call_events ON call_events")
        op.execute("DROP FUNCTION IF EXISTS ivr_rollup_mark_event()")
        op.execute("DROP FUNCTION IF EXISTS ivr_rollup_mark_call()")
        op.execute("DROP FUNCTION IF EXISTS ivr_rollup_mark(timestamptz)")
    op.drop_table("ivr_rollup_marks")
    op.drop_table("ivr_rollup_buckets")
    op.drop_index("ix_ivr_rollups_bucket", table_name="ivr_rollups")
    op.drop_table("ivr_rollups")
