"""The knowledge base beside the operator's card in Chromium (issue 17 item 6), against
`hotline web` running as its own process: the greeting script carries the operator's name
(R-047), the operator searches in Russian («счётчиков» finds «счётчика») and opens the
article in the panel, and the most asked menu choice links to it (R-127).  Takes the README's
screenshot ``docs/screenshots/operator-kb.png``."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from datetime import date

import pytest
from playwright.sync_api import Page, expect

from hotline.contact_center.knowledge import Knowledge
from hotline.settings import Settings
from hotline.store.audit import Actor
from hotline.store.calllog import CallLog
from hotline.store.db import Database
from hotline.store.enums import CallDirection, EventKind
from hotline.store.knowledge import ArticleDraft
from hotline.store.operators import Operators
from tests.e2e.test_web_browser import page, standalone_console
from tests.screenshots import screenshot_path
from tests.web.conftest import PASSWORD

pytestmark = pytest.mark.e2e

__all__ = ["page", "standalone_console"]  # the fixtures this module uses

SCREENSHOT = "operator-kb.png"
METER = ArticleDraft(
    title="Передача показаний счётчика",
    body=(
        "Показания принимаются с 15 по 25 число месяца.\n"
        "Способы: голосовое меню (клавиша 1), личный кабинет на сайте, офис обслуживания."
    ),
    topics=("readings",),
    owner="boris",
    review_due=date(2030, 1, 1),
)
TARIFF = ArticleDraft(
    title="Тарифы на электроэнергию",
    body="Тарифы для населения утверждает региональная служба по тарифам.",
    topics=("info.tariffs",),
    owner="boris",
    review_due=date(2030, 1, 1),
)


async def _seed(settings: Settings) -> None:
    async with Database.from_settings(settings) as db:
        await db.upgrade()
        await Operators(db).add("anna", "Local/anna@hotline-test", full_name="Анна Петрова")
        kb = Knowledge(db, settings.knowledge)
        for draft in (METER, TARIFF):
            await kb.create(draft, Actor("boris", "web"))
        log = CallLog(db)
        for n, node in enumerate(("readings", "readings", "info.tariffs")):
            await log.open(uniqueid=f"kb-{n}", direction=CallDirection.INBOUND)
            await log.add_event(f"kb-{n}", EventKind.NODE, "main")
            await log.add_event(f"kb-{n}", EventKind.NODE, node)


def test_operator_searches_and_opens_an_article(
    standalone_console: tuple[str, Settings], page: Page
) -> None:
    url, settings = standalone_console
    # Playwright's sync API runs its own event loop in this thread.
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, _seed(settings)).result()
    problems: list[str] = []
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    page.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" else None)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(url + "/login?next=/operator")
    page.fill("input[name=name]", "anna")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    expect(page.locator("h1")).to_have_text("Рабочее место оператора")

    panel = page.locator("#kb-panel")
    expect(panel.locator("#script-greeting")).to_have_text(
        "Здравствуйте! Энергосбыт. Анна Петрова. Чем я могу Вам помочь?"
    )
    expect(panel.locator("#script-closing")).to_have_text(
        "Спасибо за звонок. Всего доброго. До свидания."
    )
    most_asked = panel.locator("#kb-most-asked > li")
    expect(most_asked.first).to_have_attribute("data-topic", "readings")
    expect(most_asked.first).to_contain_text(METER.title)

    page.fill("#kb-query", "показания счётчиков")
    found = panel.locator("#kb-found li")
    expect(found).to_have_count(1)
    found.first.locator("a").click()
    article = panel.locator("#kb-article .kb-article")
    expect(article.locator(".kb-title")).to_have_text(METER.title)
    expect(article).to_contain_text("Показания принимаются с 15 по 25 число месяца.")
    # The operator stayed on the operator page (the call card is still there).
    assert page.url.endswith("/operator")
    page.screenshot(path=str(screenshot_path(SCREENSHOT)), full_page=True)
    assert problems == []
