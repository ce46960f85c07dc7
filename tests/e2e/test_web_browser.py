"""The console in a real browser: Debian's Chromium driven by Playwright against `hotline web`
running as its own process (the vendored scripts load under the strict CSP, forms post with
their CSRF tokens, the emergency switch reaches the same store the IVR reads)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect, sync_playwright

from hotline.settings import Settings
from hotline.store.db import Database
from hotline.store.emergency import EmergencyStore
from tests.e2e.engine_support import wait_for_port
from tests.e2e.web_support import CHROMIUM, free_port
from tests.log_audit import log_file
from tests.web.conftest import PASSWORD, console_settings, seed_users


@pytest.fixture
def standalone_console(tmp_path: Path) -> Iterator[tuple[str, Settings]]:
    settings = console_settings(tmp_path)
    asyncio.run(seed_users(settings))
    port = free_port()
    argv = [
        sys.executable,
        "-m",
        "hotline.cli",
        "--set",
        f"store.url={settings.database_url}",
        "--set",
        f"web.port={port}",
        "web",
    ]
    # Its log goes to the session's log folder, which the log audit greps (issue 14, M7).
    with log_file("console").open("wb") as sink:
        proc = subprocess.Popen(argv, env=dict(os.environ), stdout=sink, stderr=sink)
    try:
        asyncio.run(wait_for_port("127.0.0.1", port))
        yield f"http://127.0.0.1:{port}", settings
    finally:
        proc.terminate()
        proc.wait(15)


@pytest.fixture
def page() -> Iterator[Page]:
    assert Path(CHROMIUM).exists(), "Debian chromium missing: run scripts/install-system-deps.sh"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            yield browser.new_page(locale="ru-RU")
        finally:
            browser.close()


def emergency_active(settings: Settings) -> bool:
    async def read() -> bool:
        async with Database.from_settings(settings) as db:
            return (await EmergencyStore(db).current()).active

    # Playwright's sync API runs its own event loop in this thread.
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, read()).result()


def test_supervisor_logs_in_switches_emergency_and_logs_out(
    standalone_console: tuple[str, Settings], page: Page
) -> None:
    url, settings = standalone_console
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda exc: problems.append(str(exc)))

    page.goto(url + "/")
    expect(page).to_have_url(url + "/login?next=/")
    page.fill("input[name=name]", "boris")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    expect(page.locator("h1")).to_have_text("Здравствуйте, boris")
    # The vendored htmx loaded from our own origin under the CSP.
    assert page.evaluate("typeof window.htmx") == "object"

    page.fill("textarea[name=text]", "Плановые работы на подстанции до 18 часов.")
    page.click("#emergency-on")
    expect(page.locator("#emergency .alarm")).to_contain_text("Плановые работы")
    assert emergency_active(settings)
    page.click("#emergency-off")
    expect(page.locator("#emergency")).to_contain_text("Выключен")
    assert not emergency_active(settings)

    # The report's chart: uPlot from our own origin, fed from a data attribute.
    page.click("text=Отчёт IVR")
    expect(page.locator("#ivr-chart")).to_have_attribute("data-drawn", "yes")
    assert page.locator("#ivr-chart canvas").count() == 1
    page.click("text=Кампании")
    expect(page.locator("h1")).to_have_text("Кампании обзвона")
    page.click("text=Очередь")
    expect(page.locator("#queue-chart")).to_have_attribute("data-drawn", "yes")
    expect(page.locator('tr[data-kpi="service_level"]')).to_contain_text("≥ 100.0 %")

    page.click("#logout")
    expect(page.locator("h1")).to_have_text("Вход в консоль")
    page.goto(url + "/")
    expect(page).to_have_url(url + "/login?next=/")
    assert problems == []


def test_admin_adds_an_operator_who_then_logs_in(
    standalone_console: tuple[str, Settings], page: Page
) -> None:
    url, _settings = standalone_console
    page.goto(url + "/login")
    page.fill("input[name=name]", "vera")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.click("text=Пользователи")
    page.fill("#add-user input[name=name]", "gleb")
    page.select_option("#add-user select[name=role]", "operator")
    page.fill("#add-user input[name=password]", "another good one")
    page.click("#add-user button")
    expect(page.locator('tr[data-user="gleb"]')).to_contain_text("оператор")
    page.click("text=Журнал аудита")
    expect(page.locator("#audit")).to_contain_text("пользователь добавлен")
    page.click("#logout")

    page.fill("input[name=name]", "gleb")
    page.fill("input[name=password]", "another good one")
    page.click("button[type=submit]")
    expect(page.locator("h1")).to_have_text("Здравствуйте, gleb")
    assert page.locator("text=Пользователи").count() == 0
