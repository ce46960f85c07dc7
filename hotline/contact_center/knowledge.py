"""The operators' knowledge base (issue 17 item 6; R-124-R-128) and call scripts (R-047,
R-050, R-060).

Articles have topics (IVR menu node ids such as ``readings`` or free ones), an owner and a
review date; an article past its review date is flagged (R-128).  People allowed to
(``Permission.KNOWLEDGE``) create and edit them in the console; every change is audited.
Search is full-text in Russian on both stores (see :mod:`hotline.store.knowledge` and
:mod:`hotline.contact_center.kb_words`).  "Most asked" (R-127): the menu choices callers made
in the last days, each with the articles on that topic."""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Final

from hotline.contact_center import kb_words
from hotline.core.clock import utc_now
from hotline.settings import KnowledgeSettings
from hotline.store.audit import Actor
from hotline.store.db import Database
from hotline.store.knowledge import ArticleDraft, ArticleRecord, KnowledgeStore

TITLE_MAX: Final = 200
BODY_MAX: Final = 20_000
TOPIC: Final = re.compile(r"^[a-z][a-z0-9_.-]{0,63}$")
OWNER: Final = re.compile(r"^[a-z][a-z0-9._-]{1,63}$")
MAX_TOPICS: Final = 10
QUERY_MAX: Final = 200


class ArticleError(ValueError):
    """An article that breaks a rule; the message is Russian (the console shows it)."""


def parse_topics(raw: str) -> tuple[str, ...]:
    """``"readings, info.tariffs"`` → ``("info.tariffs", "readings")``: checked, unique."""
    topics = sorted({t for t in re.split(r"[\s,;]+", raw.strip().lower()) if t})
    for topic in topics:
        if not TOPIC.match(topic):
            raise ArticleError(
                f"Тема «{topic}»: латинские буквы, цифры, «.», «_», «-»; как узлы меню."
            )
    if len(topics) > MAX_TOPICS:
        raise ArticleError(f"Не более {MAX_TOPICS} тем у статьи.")
    return tuple(topics)


def check(draft: ArticleDraft) -> ArticleDraft:
    title = " ".join(draft.title.split())
    body = draft.body.replace("\r\n", "\n").strip()
    if not title or len(title) > TITLE_MAX:
        raise ArticleError(f"Заголовок: от 1 до {TITLE_MAX} символов.")
    if not body or len(body) > BODY_MAX:
        raise ArticleError(f"Текст статьи: от 1 до {BODY_MAX} символов.")
    if not OWNER.match(draft.owner):
        raise ArticleError("Ответственный: имя пользователя консоли.")
    parse_topics(" ".join(draft.topics))
    return ArticleDraft(title, body, draft.topics, draft.owner, draft.review_due)


def overdue(article: ArticleRecord, today: date) -> bool:
    """The review date has passed (R-128)."""
    return article.review_due < today


def _search_text(draft: ArticleDraft) -> str:
    return kb_words.normal(f"{draft.title}\n{' '.join(draft.topics)}\n{draft.body}")


@dataclass(frozen=True)
class MostAsked:
    """One menu choice callers made often (R-127), with the articles on its topic."""

    topic: str
    calls: int
    articles: tuple[tuple[int, str], ...]


class Knowledge:
    def __init__(self, db: Database, settings: KnowledgeSettings) -> None:
        self._store = KnowledgeStore(db)
        self._settings = settings

    def default_review(self, today: date) -> date:
        return today + timedelta(days=self._settings.review_days)

    async def _terms(self, search_text: str) -> str:
        """The lemmas SQLite indexes; PostgreSQL stems by itself."""
        if self._store.postgres:
            return ""
        return await asyncio.to_thread(kb_words.index_terms, search_text)

    async def create(self, draft: ArticleDraft, actor: Actor) -> int:
        draft = check(draft)
        text = _search_text(draft)
        return await self._store.create(draft, text, await self._terms(text), actor, utc_now())

    async def edit(self, article_id: int, draft: ArticleDraft, actor: Actor) -> None:
        draft = check(draft)
        text = _search_text(draft)
        terms = await self._terms(text)
        await self._store.update(article_id, draft, text, terms, actor, utc_now())

    async def article(self, article_id: int) -> ArticleRecord:
        return await self._store.get(article_id)

    async def articles(self, topic: str | None = None) -> list[ArticleRecord]:
        return await self._store.articles(topic)

    async def search(self, query: str) -> list[ArticleRecord]:
        query = query[:QUERY_MAX]
        groups: list[tuple[str, ...]]
        if self._store.postgres:
            groups = [(w,) for w in kb_words.words(query)]  # only whether there are words
        else:
            groups = await asyncio.to_thread(kb_words.query_groups, query)
        return await self._store.search(
            kb_words.normal(query), groups, self._settings.search_limit
        )

    async def most_asked(
        self, skip: tuple[str, ...] = (), now: datetime | None = None
    ) -> list[MostAsked]:
        """The menu choices of the last ``most_asked_days`` days, most made first; ``skip``:
        nodes that are no choice (the menu's start)."""
        since = (now or utc_now()) - timedelta(days=self._settings.most_asked_days)
        counts = await self._store.menu_choices(since, self._settings.most_asked_count, skip)
        titles = await self._store.titles_by_topic([node for node, _ in counts])
        return [MostAsked(node, n, tuple(titles.get(node, ()))) for node, n in counts]


@dataclass(frozen=True)
class CallScripts:
    """What the operator says (R-126): the greeting with the company and their own name
    (R-047), the thanks for waiting to a caller who waited in the queue (R-050), the closing
    (R-060)."""

    greeting: str
    waited: str | None
    closing: str


def call_scripts(settings: KnowledgeSettings, company: str, operator: str) -> CallScripts:
    def fill(template: str) -> str:
        return template.replace("{company}", company).replace("{operator}", operator)

    return CallScripts(
        greeting=fill(settings.greeting_script),
        waited=fill(settings.waited_script) or None,
        closing=fill(settings.closing_script),
    )
