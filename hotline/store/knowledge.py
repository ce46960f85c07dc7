"""The knowledge base's tables (``kb_articles``, ``kb_topics``) and its full-text search.

PostgreSQL searches ``to_tsvector('russian', search_text)`` (Snowball's Russian stemmer) with
``plainto_tsquery('russian', ...)``.  SQLite has no Russian stemmer of its own: the caller
gives the lemmas of the article's words (``terms``) and, for a query, each word's lemmas
(``groups``); they go into and are matched against the FTS5 table ``kb_search``.  Every
change is audited in the same unit of work."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Final

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from hotline.core.errors import NotFound
from hotline.store.audit import Actor, AuditLog
from hotline.store.db import Database
from hotline.store.enums import EventKind
from hotline.store.models import Call, CallEvent, KbArticle, KbTopic

AUDIT_CREATE: Final = "kb.create"
AUDIT_EDIT: Final = "kb.edit"


@dataclass(frozen=True)
class ArticleDraft:
    """What a person writes: checked by the domain before it gets here."""

    title: str
    body: str
    topics: tuple[str, ...]
    owner: str
    review_due: date


@dataclass(frozen=True)
class ArticleRecord:
    id: int
    title: str
    body: str
    topics: tuple[str, ...]
    owner: str
    review_due: date
    created_at: datetime
    updated_at: datetime
    updated_by: str


def _record(row: KbArticle) -> ArticleRecord:
    return ArticleRecord(
        id=row.id,
        title=row.title,
        body=row.body,
        topics=tuple(t.topic for t in row.topics),
        owner=row.owner,
        review_due=row.review_due,
        created_at=row.created_at,
        updated_at=row.updated_at,
        updated_by=row.updated_by,
    )


def _fts_query(groups: Sequence[Sequence[str]]) -> str:
    """``("a" OR "b") AND ("c" OR "d"*)``: every word, in any of its forms.  The words are
    letters and digits only (the caller's tokenizer), quoted all the same."""
    parts = []
    for group in groups:
        forms = [f'"{form.rstrip("*")}"' + ("*" if form.endswith("*") else "") for form in group]
        parts.append("(" + " OR ".join(forms) + ")")
    return " AND ".join(parts)


class KnowledgeStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    @property
    def postgres(self) -> bool:
        return self._db.engine.dialect.name == "postgresql"

    async def create(
        self, draft: ArticleDraft, search_text: str, terms: str, actor: Actor, now: datetime
    ) -> int:
        async with self._db.session() as session:
            row = KbArticle(
                title=draft.title,
                body=draft.body,
                owner=draft.owner,
                review_due=draft.review_due,
                created_at=now,
                updated_at=now,
                updated_by=actor.name,
                search_text=search_text,
                topics=[KbTopic(topic=t) for t in draft.topics],
            )
            session.add(row)
            await session.flush()
            await self._index(session, row.id, terms)
            AuditLog.add(session, actor, AUDIT_CREATE, str(row.id), {"title": draft.title}, now)
            return row.id

    async def update(
        self,
        article_id: int,
        draft: ArticleDraft,
        search_text: str,
        terms: str,
        actor: Actor,
        now: datetime,
    ) -> None:
        async with self._db.session() as session:
            row = await session.get(KbArticle, article_id)
            if row is None:
                raise NotFound(f"no article {article_id}")
            row.title = draft.title
            row.body = draft.body
            row.owner = draft.owner
            row.review_due = draft.review_due
            row.updated_at = now
            row.updated_by = actor.name
            row.search_text = search_text
            row.topics = [KbTopic(topic=t) for t in draft.topics]
            await self._index(session, article_id, terms)
            AuditLog.add(session, actor, AUDIT_EDIT, str(article_id), {"title": draft.title}, now)

    async def _index(self, session: AsyncSession, article_id: int, terms: str) -> None:
        if self.postgres:
            return  # the expression index follows search_text by itself
        await session.execute(text("DELETE FROM kb_search WHERE rowid = :id"), {"id": article_id})
        await session.execute(
            text("INSERT INTO kb_search (rowid, terms) VALUES (:id, :terms)"),
            {"id": article_id, "terms": terms},
        )

    async def get(self, article_id: int) -> ArticleRecord:
        async with self._db.session() as session:
            row = await session.get(KbArticle, article_id)
            if row is None:
                raise NotFound(f"no article {article_id}")
            return _record(row)

    async def articles(self, topic: str | None = None, limit: int = 500) -> list[ArticleRecord]:
        """By title; only those with ``topic`` when given."""
        query = select(KbArticle).order_by(KbArticle.title, KbArticle.id).limit(limit)
        if topic is not None:
            query = query.where(
                KbArticle.id.in_(select(KbTopic.article_id).where(KbTopic.topic == topic))
            )
        async with self._db.session() as session:
            return [_record(row) for row in (await session.scalars(query)).all()]

    async def search(
        self, words: str, groups: Sequence[Sequence[str]], limit: int
    ) -> list[ArticleRecord]:
        """The best matches first: ``words`` (PostgreSQL) or ``groups`` (SQLite) as above."""
        if not groups:
            return []
        async with self._db.session() as session:
            if self.postgres:
                vector = func.to_tsvector(text("'russian'"), KbArticle.search_text)
                query = func.plainto_tsquery(text("'russian'"), words)
                ids = list(
                    (
                        await session.scalars(
                            select(KbArticle.id)
                            .where(vector.op("@@")(query))
                            .order_by(func.ts_rank(vector, query).desc(), KbArticle.id)
                            .limit(limit)
                        )
                    ).all()
                )
            else:
                found = await session.execute(
                    text(
                        "SELECT rowid FROM kb_search WHERE kb_search MATCH :q "
                        "ORDER BY bm25(kb_search), rowid LIMIT :limit"
                    ),
                    {"q": _fts_query(groups), "limit": limit},
                )
                ids = [int(r[0]) for r in found]
            if not ids:
                return []
            rows = {
                row.id: row
                for row in (
                    await session.scalars(select(KbArticle).where(KbArticle.id.in_(ids)))
                ).all()
            }
        return [_record(rows[i]) for i in ids if i in rows]

    async def titles_by_topic(self, topics: Sequence[str]) -> dict[str, list[tuple[int, str]]]:
        """(id, title) of the articles on each of ``topics``."""
        if not topics:
            return {}
        async with self._db.session() as session:
            rows = await session.execute(
                select(KbTopic.topic, KbArticle.id, KbArticle.title)
                .join(KbArticle, KbArticle.id == KbTopic.article_id)
                .where(KbTopic.topic.in_(list(topics)))
                .order_by(KbArticle.title, KbArticle.id)
            )
            found: dict[str, list[tuple[int, str]]] = {}
            for topic, article_id, title in rows:
                found.setdefault(str(topic), []).append((int(article_id), str(title)))
        return found

    async def menu_choices(
        self, since: datetime, limit: int, skip: Sequence[str] = ()
    ) -> list[tuple[str, int]]:
        """The IVR menu nodes callers entered since ``since`` (real calls only), most entered
        first: (node, times)."""
        times = func.count(CallEvent.id).label("times")
        query = (
            select(CallEvent.value, times)
            .join(Call, Call.id == CallEvent.call_id)
            .where(
                CallEvent.kind == EventKind.NODE, CallEvent.at >= since, Call.simulated.is_(False)
            )
            .group_by(CallEvent.value)
            .order_by(times.desc(), CallEvent.value)
            .limit(limit)
        )
        if skip:
            query = query.where(CallEvent.value.not_in(list(skip)))
        async with self._db.session() as session:
            return [(str(node), int(count)) for node, count in await session.execute(query)]
