"""The appeal register in Chromium (issue 16): a supervisor registers an appeal, hands it over
to a back-office unit, answers it and reopens it when the customer rejects the solution
(R-120), against `hotline web` running as its own process; the store has the history."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

import pytest
from playwright.sync_api import Page, expect

from hotline.appeals.register import Appeals, Viewer
from hotline.settings import Settings
from hotline.store.appeals import AppealRecord
from hotline.store.audit import Actor
from hotline.store.db import Database
from hotline.store.enums import AppealStatus
from tests.e2e.test_web_browser import page, standalone_console
from tests.web.conftest import PASSWORD

pytestmark = pytest.mark.e2e

__all__ = ["page", "standalone_console"]  # the fixtures this module uses

READER = Viewer(Actor("test", "cli"), personal_data=True, trust=True)


def stored(settings: Settings, number: str) -> AppealRecord | None:
    async def read() -> AppealRecord | None:
        async with Database.from_settings(settings) as db:
            register = Appeals(db, settings.appeals, settings.hours.timezone)
            return await register.view(number, READER)

    # Playwright's sync API runs its own event loop in this thread.
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, read()).result()


def test_register_hand_over_answer_reopen(
    standalone_console: tuple[str, Settings], page: Page
) -> None:
    url, settings = standalone_console
    problems: list[str] = []
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    page.goto(url + "/login?next=/appeals")
    page.fill("input[name=name]", "boris")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    expect(page.locator("h1")).to_have_text("Обращения")

    form = page.locator("#appeal-add")
    form.locator("select[name=channel]").select_option("email")
    form.locator("select[name=category]").select_option("complaint")
    form.locator("select[name=topic]").select_option("quality")
    form.locator("input[name=subject]").fill("Скачки напряжения")
    form.locator("input[name=phone]").fill("+79001234567")
    page.click("#appeal-add-submit")
    number = page.locator("#appeal-number").inner_text()
    expect(page.locator("#appeal-status")).to_have_attribute("data-status", "registered")
    expect(page.locator("#appeal-status")).to_have_text("зарегистрировано")
    expect(page.locator("#appeal-unit")).to_have_attribute("data-unit", "network")
    expect(page.locator("#appeal-unit")).to_have_text("Сетевая служба")

    page.locator("#appeal-actions select[name=unit]").select_option("billing")
    page.click("#appeal-hand_over")
    expect(page.locator("#appeal-status")).to_have_attribute("data-status", "handed_over")
    expect(page.locator("#appeal-unit")).to_have_attribute("data-unit", "billing")
    page.click("#appeal-answer")
    expect(page.locator("#appeal-status")).to_have_attribute("data-status", "answered")
    page.fill("#reopen-note", "Заявитель не согласен с решением")
    page.click("#appeal-reopen")
    expect(page.locator("#appeal-status")).to_have_attribute("data-status", "reopened")
    expect(page.locator("#appeal-history")).to_contain_text("Заявитель не согласен")

    appeal = stored(settings, number)
    assert appeal is not None
    assert [e.status for e in appeal.history] == [
        AppealStatus.REGISTERED,
        AppealStatus.HANDED_OVER,
        AppealStatus.ANSWERED,
        AppealStatus.REOPENED,
    ]
    page.click("text=Обращения")
    expect(page.locator(f'tr[data-appeal="{number}"]')).to_contain_text("возобновлено")
    assert problems == []
