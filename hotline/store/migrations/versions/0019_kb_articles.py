"""kb_articles, kb_topics and the search index: the operators' knowledge base (issue 17 item 6)

On PostgreSQL a GIN index over ``to_tsvector('russian', search_text)``; on SQLite an FTS5
table ``kb_search`` (rowid = the article's id, ``terms`` = the lemmas of its words).

Revision ID: 0019_kb_articles
Revises: 0018_rating_answers
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019_kb_articles"
down_revision: str | None = "0018_rating_answers"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "kb_articles",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("owner", sa.String(length=64), nullable=False),
        sa.Column("review_due", sa.Date(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=64), nullable=False),
        sa.Column("search_text", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kb_articles")),
    )
    op.create_index(op.f("ix_kb_articles_review_due"), "kb_articles", ["review_due"])
    op.create_table(
        "kb_topics",
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("topic", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["kb_articles.id"],
            name=op.f("fk_kb_topics_article_id_kb_articles"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("article_id", "topic", name=op.f("pk_kb_topics")),
    )
    op.create_index(op.f("ix_kb_topics_topic"), "kb_topics", ["topic"])
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE INDEX ix_kb_articles_search ON kb_articles "
            "USING gin (to_tsvector('russian', search_text))"
        )
    else:
        op.execute("CREATE VIRTUAL TABLE kb_search USING fts5(terms, tokenize='unicode61')")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_kb_articles_search")
    else:
        op.execute("DROP TABLE IF EXISTS kb_search")
    op.drop_index(op.f("ix_kb_topics_topic"), table_name="kb_topics")
    op.drop_table("kb_topics")
    op.drop_index(op.f("ix_kb_articles_review_due"), table_name="kb_articles")
    op.drop_table("kb_articles")
