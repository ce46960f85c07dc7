"""The operators' knowledge base (issue 17 item 6; R-124-R-128): articles with topics, an
owner and a review date.  Full-text search: on PostgreSQL ``to_tsvector('russian', ...)`` over
``search_text`` (a GIN index the migration creates); on SQLite an FTS5 table ``kb_search``
(created by the migration, not a model: a virtual table) holding the words' lemmas."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hotline.store.models.base import Base
from hotline.store.types import UtcDateTime


class KbArticle(Base):
    __tablename__ = "kb_articles"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    # The console user who answers for the article.
    owner: Mapped[str] = mapped_column(String(64))
    # When the article must be checked again; past it the article is flagged.
    review_due: Mapped[date] = mapped_column(Date, index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_by: Mapped[str] = mapped_column(String(64))
    # Title, topics and body as searched («ё» written «е»).
    search_text: Mapped[str] = mapped_column(Text)
    topics: Mapped[list[KbTopic]] = relationship(
        cascade="all, delete-orphan", order_by="KbTopic.topic", lazy="selectin"
    )


class KbTopic(Base):
    """An article's topic: an IVR menu node id (``readings``, ``info.tariffs``) or a free one;
    the "most asked" list links the menu choices callers make to articles by these (R-127)."""

    __tablename__ = "kb_topics"

    article_id: Mapped[int] = mapped_column(
        ForeignKey("kb_articles.id", ondelete="CASCADE"), primary_key=True
    )
    topic: Mapped[str] = mapped_column(String(64), primary_key=True, index=True)
