"""queue_rollups: the queue report's queued calls, one row per finished call and scope, kept
per 15-minute bucket of the call's start, and the marks that make a rolled bucket stale when
its calls, call events or queue events are written later (issue 19 item 3)

Revision ID: 0036_queue_rollups
Revises: 0035_xnode_call_node
Create Date: 2026-12-04

The marks are written by triggers in the writer's own transaction, as for the IVR roll-ups
(0031): only calls started more than 15 minutes before (the database's clock) are marked,
and the job rolls a bucket at least 30 minutes after it ended (``[rollups]
roll_after_minutes``), so a live call's writes cost one comparison.  A queue event finds its
call by ``uniqueid``; one written before its call exists marks nothing, and the call's own
insert marks the bucket then.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0036_queue_rollups"
down_revision: str | None = "0035_xnode_call_node"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_SQLITE_BUCKET = "CAST(strftime('%s', substr({x}, 1, 19)) AS INTEGER) / 900"
_SQLITE_OLD = "{x} < strftime('%Y-%m-%d %H:%M:%f', 'now', '-15 minutes')"
_SQLITE_MARK = (
    "INSERT INTO queue_rollup_marks (bucket, n) SELECT {bucket}, 1 WHERE {old} "
    "ON CONFLICT (bucket) DO UPDATE SET n = n + 1;"
)
_SQLITE_MARK_BY = (
    "INSERT INTO queue_rollup_marks (bucket, n) "
    "SELECT CAST(strftime('%s', substr(c.started_at, 1, 19)) AS INTEGER) / 900, 1 "
    "FROM calls c WHERE c.{key} = {row}.{column} "
    "AND c.started_at < strftime('%Y-%m-%d %H:%M:%f', 'now', '-15 minutes') "
    "ON CONFLICT (bucket) DO UPDATE SET n = n + 1;"
)
# table -> (the calls column it refers to, its own column)
_CHILDREN = {"call_events": ("id", "call_id"), "queue_events": ("uniqueid", "uniqueid")}

_PG_FUNCTIONS = """
CREATE FUNCTION queue_rollup_mark(started timestamptz) RETURNS void AS $$
BEGIN
  IF started < clock_timestamp() - interval '15 minutes' THEN
    INSERT INTO queue_rollup_marks (bucket, n)
    VALUES (floor(extract(epoch FROM started) / 900)::integer, 1)
    ON CONFLICT (bucket) DO UPDATE SET n = queue_rollup_marks.n + 1;
  END IF;
END $$ LANGUAGE plpgsql;

CREATE FUNCTION queue_rollup_mark_call() RETURNS trigger AS $$
BEGIN
  IF TG_OP <> 'INSERT' THEN PERFORM queue_rollup_mark(OLD.started_at); END IF;
  IF TG_OP <> 'DELETE' THEN PERFORM queue_rollup_mark(NEW.started_at); END IF;
  RETURN NULL;
END $$ LANGUAGE plpgsql;

CREATE FUNCTION queue_rollup_mark_call_event() RETURNS trigger AS $$
BEGIN
  IF TG_OP <> 'INSERT' THEN
    PERFORM queue_rollup_mark(c.started_at) FROM calls c WHERE c.id = OLD.call_id;
  END IF;
  IF TG_OP <> 'DELETE' THEN
    PERFORM queue_rollup_mark(c.started_at) FROM calls c WHERE c.id = NEW.call_id;
  END IF;
  RETURN NULL;
END $$ LANGUAGE plpgsql;

CREATE FUNCTION queue_rollup_mark_queue_event() RETURNS trigger AS $$
BEGIN
  IF TG_OP <> 'INSERT' THEN
    PERFORM queue_rollup_mark(c.started_at) FROM calls c WHERE c.uniqueid = OLD.uniqueid;
  END IF;
  IF TG_OP <> 'DELETE' THEN
    PERFORM queue_rollup_mark(c.started_at) FROM calls c WHERE c.uniqueid = NEW.uniqueid;
  END IF;
  RETURN NULL;
END $$ LANGUAGE plpgsql;

CREATE TRIGGER queue_rollup_calls AFTER INSERT OR UPDATE OR DELETE ON calls
FOR EACH ROW EXECUTE FUNCTION queue_rollup_mark_call();

CREATE TRIGGER queue_rollup_call_events AFTER INSERT OR UPDATE OR DELETE ON call_events
FOR EACH ROW EXECUTE FUNCTION queue_rollup_mark_call_event();

CREATE TRIGGER queue_rollup_queue_events AFTER INSERT OR UPDATE OR DELETE ON queue_events
FOR EACH ROW EXECUTE FUNCTION queue_rollup_mark_queue_event();
"""

_PG_DROP = (
    "DROP TRIGGER IF EXISTS queue_rollup_calls ON calls",
    "DROP TRIGGER IF EXISTS queue_rollup_call_events ON call_events",
    "DROP TRIGGER IF EXISTS queue_rollup_queue_events ON queue_events",
    "DROP FUNCTION IF EXISTS queue_rollup_mark_queue_event()",
    "DROP FUNCTION IF EXISTS queue_rollup_mark_call_event()",
    "DROP FUNCTION IF EXISTS queue_rollup_mark_call()",
    "DROP FUNCTION IF EXISTS queue_rollup_mark(timestamptz)",
)

_OPS = (("INSERT", ("NEW",)), ("UPDATE", ("OLD", "NEW")), ("DELETE", ("OLD",)))


def sqlite_trigger_names() -> list[str]:
    return [
        f"queue_rollup_{table}_{op_name.lower()}"
        for table in ("calls", *_CHILDREN)
        for op_name, _rows in _OPS
    ]


def sqlite_triggers() -> list[str]:
    """The marking triggers on SQLite (also what the benchmark re-creates after its fill)."""

    def mark(row: str) -> str:
        x = f"{row}.started_at"
        return _SQLITE_MARK.format(bucket=_SQLITE_BUCKET.format(x=x), old=_SQLITE_OLD.format(x=x))

    out = []
    for op_name, rows in _OPS:
        body = " ".join(mark(r) for r in rows)
        out.append(
            f"CREATE TRIGGER queue_rollup_calls_{op_name.lower()} AFTER {op_name} ON calls "
            f"BEGIN {body} END"
        )
    for table, (key, column) in _CHILDREN.items():
        for op_name, rows in _OPS:
            body = " ".join(_SQLITE_MARK_BY.format(key=key, row=r, column=column) for r in rows)
            out.append(
                f"CREATE TRIGGER queue_rollup_{table}_{op_name.lower()} AFTER {op_name} "
                f"ON {table} BEGIN {body} END"
            )
    return out


def upgrade() -> None:
    stamp = sa.DateTime(timezone=True)
    op.create_table(
        "queue_rollups",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("bucket", sa.Integer(), nullable=False),
        sa.Column("scope", sa.String(length=128), nullable=False),
        sa.Column("call_id", sa.String(length=32), nullable=False),
        sa.Column("uniqueid", sa.String(length=64), nullable=False),
        sa.Column("simulated", sa.Boolean(), nullable=False),
        sa.Column("exact", sa.Boolean(), nullable=False),
        sa.Column("queued_at", stamp, nullable=False),
        sa.Column("joined_at", stamp, nullable=True),
        sa.Column("first_key", sa.String(length=64), nullable=False),
        sa.Column("connect_at", stamp, nullable=True),
        sa.Column("member", sa.Text(), nullable=True),
        sa.Column("talk", sa.Integer(), nullable=True),
        sa.Column("callback", sa.Boolean(), nullable=False),
        sa.Column("last_at", stamp, nullable=False),
        sa.Column("answer_target", sa.BigInteger(), nullable=True),
        sa.Column("readings", sa.Boolean(), nullable=False),
        sa.Column("personal", sa.Boolean(), nullable=False),
        sa.Column("outcome", sa.String(length=32), nullable=True),
        sa.Column("ended", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_queue_rollups")),
    )
    op.create_index(
        "ix_queue_rollups_scope_bucket", "queue_rollups", ["scope", "bucket"], unique=False
    )
    op.create_table(
        "queue_rollup_rings",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("bucket", sa.Integer(), nullable=False),
        sa.Column("scope", sa.String(length=128), nullable=False),
        sa.Column("simulated", sa.Boolean(), nullable=False),
        sa.Column("queued_at", stamp, nullable=False),
        sa.Column("member", sa.Text(), nullable=False),
        sa.Column("n", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_queue_rollup_rings")),
    )
    op.create_index(
        "ix_queue_rollup_rings_scope_bucket",
        "queue_rollup_rings",
        ["scope", "bucket"],
        unique=False,
    )
    op.create_table(
        "queue_rollup_buckets",
        sa.Column("bucket", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("rolled_at", stamp, nullable=False),
        sa.PrimaryKeyConstraint("bucket", name=op.f("pk_queue_rollup_buckets")),
    )
    op.create_table(
        "queue_rollup_marks",
        sa.Column("bucket", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("n", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("bucket", name=op.f("pk_queue_rollup_marks")),
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
        for statement in _PG_DROP:
            op.execute(statement)
    op.drop_table("queue_rollup_marks")
    op.drop_table("queue_rollup_buckets")
    op.drop_index("ix_queue_rollup_rings_scope_bucket", table_name="queue_rollup_rings")
    op.drop_table("queue_rollup_rings")
    op.drop_index("ix_queue_rollups_scope_bucket", table_name="queue_rollups")
    op.drop_table("queue_rollups")
