"""The knowledge base on SQLite (FTS5 over lemmas) and PostgreSQL (the ``russian`` text search
configuration): Russian word forms find each other, changes are audited, topics link articles
to the IVR menu choices callers make most (R-124-R-128)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from hotline.contact_center.knowledge import ArticleError, Knowledge, overdue
from hotline.core.errors import NotFound
from hotline.settings import KnowledgeSettings
from hotline.store.audit import Actor, AuditLog
from hotline.store.calllog import CallLog
from hotline.store.db import Database
from hotline.store.enums import CallDirection, EventKind
from hotline.store.knowledge import ArticleDraft

ANNA = Actor("anna", "web", "127.0.0.1")
DUE = date(2027, 1, 1)

METER = ArticleDraft(
    title="Передача показаний счётчика",
    body="Показания принимаются с 15 по 25 число месяца: по телефону, на сайте, в офисе.",
    topics=("readings",),
    owner="anna",
    review_due=DUE,
)
TARIFF = ArticleDraft(
    title="Тарифы на электроэнергию",
    body="Тарифы для населения утверждает региональная служба по тарифам. Двухзонный учёт.",
    topics=("info.tariffs",),
    owner="boris",
    review_due=date(2026, 1, 1),
)
DEBT = ArticleDraft(
    title="Задолженность и пени",
    body="Пени начисляются за каждый день просрочки оплаты. Счета приходят до 5 числа.",
    topics=("balance", "debt"),
    owner="anna",
    review_due=DUE,
)


async def _kb(db: Database) -> tuple[Knowledge, dict[str, int]]:
    await db.upgrade()
    kb = Knowledge(db, KnowledgeSettings())
    ids = {}
    for name, draft in (("meter", METER), ("tariff", TARIFF), ("debt", DEBT)):
        ids[name] = await kb.create(draft, ANNA)
    return kb, ids


async def _found(kb: Knowledge, query: str) -> list[str]:
    return [a.title for a in await kb.search(query)]


# Query -> the one article it finds: Russian word forms, with or without «ё».
FORMS = {
    "счётчик": METER.title,
    "счетчики": METER.title,
    "показание счётчику": METER.title,
    "как принимаются показания по счётчику": METER.title,
    "тариф": TARIFF.title,
    "тарифами": TARIFF.title,
    "пеня": DEBT.title,
    "просрочкой оплаты": DEBT.title,
    "учет": TARIFF.title,
}


async def test_russian_word_forms_find_the_article(db: Database) -> None:
    # One store for all the cases: a migration per case would cost more than the searches.
    kb, _ = await _kb(db)
    found = {query: await _found(kb, query) for query in FORMS}
    assert found == {query: [title] for query, title in FORMS.items()}


async def test_no_match_and_empty_query(db: Database) -> None:
    kb, _ = await _kb(db)
    assert await _found(kb, "холодильник") == []
    assert await _found(kb, "  ,.!  ") == []
    # Quotes and FTS operators in a query are words, not syntax.
    assert await _found(kb, 'счётчик" OR * NEAR(') == []


async def test_edit_reindexes_and_is_audited(db: Database) -> None:
    kb, ids = await _kb(db)
    changed = ArticleDraft(
        title="Передача показаний",
        body="Показания прибора учёта передают через личный кабинет.",
        topics=("readings", "cabinet"),
        owner="boris",
        review_due=DUE,
    )
    await kb.edit(ids["meter"], changed, Actor("boris", "web", None))
    assert await _found(kb, "счётчика") == []
    assert await _found(kb, "кабинете") == ["Передача показаний"]
    article = await kb.article(ids["meter"])
    assert (article.topics, article.owner, article.updated_by) == (
        ("cabinet", "readings"),
        "boris",
        "boris",
    )
    entries = await AuditLog(db).entries()
    assert [(e.actor, e.action, e.target) for e in entries[:2]] == [
        ("boris", "kb.edit", str(ids["meter"])),
        ("anna", "kb.create", str(ids["debt"])),
    ]
    with pytest.raises(NotFound):
        await kb.edit(999_999, changed, ANNA)


async def test_topics_and_overdue_review(db: Database) -> None:
    kb, _ = await _kb(db)
    assert [a.title for a in await kb.articles("balance")] == [DEBT.title]
    assert [a.title for a in await kb.articles()] == sorted(
        [METER.title, TARIFF.title, DEBT.title]
    )
    flagged = [a.title for a in await kb.articles() if overdue(a, date(2026, 12, 3))]
    assert flagged == [TARIFF.title]


async def test_an_article_that_breaks_a_rule_is_refused(db: Database) -> None:
    kb, _ = await _kb(db)
    with pytest.raises(ArticleError, match="Заголовок"):
        await kb.create(ArticleDraft(" ", "текст", (), "anna", DUE), ANNA)
    with pytest.raises(ArticleError, match="Ответственный"):
        await kb.create(ArticleDraft("Т", "текст", (), "Анна", DUE), ANNA)


async def test_most_asked_counts_menu_choices_and_links_articles(db: Database) -> None:
    kb, ids = await _kb(db)
    log = CallLog(db)
    now = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
    choices = [["main", "readings"], ["main", "readings"], ["main", "balance"], ["main", "info"]]
    for n, path in enumerate(choices):
        await log.open(uniqueid=f"u{n}", direction=CallDirection.INBOUND, started_at=now)
        for node in path:
            await log.add_event(f"u{n}", EventKind.NODE, node, at=now - timedelta(hours=1))
    # Simulated calls and calls older than the window do not count.
    await log.open(uniqueid="sim", direction=CallDirection.INBOUND, simulated=True)
    await log.add_event("sim", EventKind.NODE, "info", at=now)
    await log.open(uniqueid="old", direction=CallDirection.INBOUND)
    await log.add_event("old", EventKind.NODE, "info", at=now - timedelta(days=31))

    asked = await kb.most_asked(skip=("main",), now=now)
    assert [(m.topic, m.calls, m.articles) for m in asked] == [
        ("readings", 2, ((ids["meter"], METER.title),)),
        ("balance", 1, ((ids["debt"], DEBT.title),)),
        ("info", 1, ()),
    ]
