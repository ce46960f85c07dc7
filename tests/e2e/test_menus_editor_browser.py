"""The menu editor in Chromium through the sandbox (issue 23): a supervisor adds a fifth option
and sees the level marked, removes it, adds a node with a typed prompt and plays it, tries the
draft with a simulated call, publishes it so a real simulated call reaches the node, rolls back
so the next call does not; an operator is refused the page.  Saves the README's screenshot."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Locator, Page, Playwright, expect, sync_playwright

from hotline.app import Engine
from hotline.calls.simulator import Transcript
from hotline.settings import Settings
from ivr.menu.versions import MenuVersions
from tests.e2e.engine_support import engine_settings, simulate
from tests.e2e.web_support import CHROMIUM
from tests.screenshots import screenshot_path
from tests.web.conftest import PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.short_prompts, pytest.mark.usefixtures("sandbox")]

CALLER = "79131234567"
NEW_NODE = "outages.works"
NEW_TEXT = "Плановые работы на подстанции завершены. Спасибо, что позвонили."
# 4 outages, 3 the new node (it says its text and says goodbye); 0 the operator when 3 is no
# option (after the rollback), so that call ends quickly too.
KEYS = "4|3|0"
SCREENSHOT = "menus-editor.png"
SLOW = 120_000  # ms: a simulated call plays its (short) prompts in real time


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return engine_settings(tmp_path / "hotline.db")


def log_in(page: Page, url: str, name: str) -> None:
    page.goto(f"{url}/login")
    page.fill("input[name=name]", name)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    expect(page.locator("#logout")).to_be_visible()


def node(page: Page, node_id: str) -> Locator:
    return page.locator(f'[data-node="{node_id}"]')


def add_option(page: Page, parent: str, key: str, kind: str, **fields: str) -> None:
    box = node(page, parent)
    box.locator(".node-add summary").click()
    form = box.locator(".add-form")
    form.locator("input[name=key]").fill(key)
    form.locator("select[name=kind]").select_option(kind)
    if "action" in fields:
        form.locator("select[name=action]").select_option(fields["action"])
    if "node_id" in fields:
        form.locator("input[name=node_id]").fill(fields["node_id"])
    if "text" in fields:
        form.locator("textarea[name=text]").fill(fields["text"])
    form.locator("button[type=submit]").click()
    page.wait_for_load_state()


def editing(browser: Browser, url: str) -> None:
    """The supervisor's part up to publishing."""
    page = browser.new_page(locale="ru-RU", viewport={"width": 1600, "height": 1000})
    problems: list[str] = []
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    log_in(page, url, "boris")
    page.goto(f"{url}/menus")
    expect(page.locator("#valid")).to_be_visible()

    # A fifth option on the main menu: the level is marked with the rule and value.
    add_option(page, "main", "5", "action", action="hangup")
    main = node(page, "main")
    expect(main).to_have_class("node kind-menu violation")
    rule = main.locator('.rule[data-rule="max_options"]')
    expect(rule).to_contain_text("5 вариантов, допустимо не более 4")
    expect(page.locator("#publish")).to_be_disabled()
    page.screenshot(path=str(screenshot_path(SCREENSHOT)), full_page=True)
    node(page, "main.5").locator(".node-edit summary").click()
    node(page, "main.5").locator(".remove-form button").click()
    page.wait_for_load_state()
    expect(page.locator("#valid")).to_be_visible()
    expect(page.locator(".violation")).to_have_count(0)

    # A node with a typed prompt, synthesised now and playable in the browser.
    add_option(page, "outages", "3", "action", action="hangup", node_id=NEW_NODE, text=NEW_TEXT)
    added = node(page, NEW_NODE)
    expect(added).to_contain_text("Плановые работы на подстанции")
    audio = added.locator("audio")
    seconds = audio.evaluate(
        """el => new Promise((done, fail) => {
            el.addEventListener('loadedmetadata', () => done(el.duration));
            el.addEventListener('error', () => fail(new Error('audio error')));
            el.preload = 'auto'; el.load();
        })"""
    )
    assert seconds > 1.0
    size = audio.evaluate("el => fetch(el.src).then(r => r.arrayBuffer()).then(b => b.byteLength)")
    assert size > 8000

    # Try the draft: the running engine plays it to this simulated call.
    page.fill("#simulate-form input[name=dtmf]", KEYS)
    page.fill("#simulate-form input[name=caller_id]", CALLER)
    page.click("#simulate-call")
    expect(page.locator("#transcript-nodes")).to_contain_text(NEW_NODE, timeout=SLOW)

    page.click("#publish")
    expect(page.locator("[role=alert]")).to_contain_text("Опубликована версия 2")
    assert not problems, problems


def rolling_back_and_refusing(browser: Browser, url: str) -> None:
    page = browser.new_page(locale="ru-RU")
    log_in(page, url, "boris")
    page.goto(f"{url}/menus")
    page.locator("#version-1 button").click()
    expect(page.locator("[role=alert]")).to_contain_text("восстановлена как версия 3")
    page.click("#logout")
    log_in(page, url, "anna")
    response = page.goto(f"{url}/menus")
    assert response is not None and response.status == 403


def menu_version(transcript: Transcript) -> list[str]:
    assert transcript.call_log is not None
    return [e["value"] for e in transcript.call_log["events"] if e["kind"] == "menu_version"]


class Chromium:
    """One Chromium for both parts of the test (a launch is about a CPU-second on this
    machine; issue 19), driven through Playwright's sync API from one thread of its own,
    the only one its objects may be used from; each part has its own page."""

    def __init__(self) -> None:
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="chromium")
        self._playwright: Playwright | None = None
        self._browser: Browser | None = None

    def _launch(self) -> None:
        self._playwright = sync_playwright().start()
        self._browser = self._playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox"]
        )

    def _close(self) -> None:
        if self._browser is not None:
            self._browser.close()
        if self._playwright is not None:
            self._playwright.stop()

    async def run(self, part: Callable[[Browser, str], None], url: str) -> None:
        def step() -> None:
            if self._browser is None:
                self._launch()
            assert self._browser is not None
            part(self._browser, url)

        await asyncio.get_running_loop().run_in_executor(self._thread, step)

    def close(self) -> None:
        try:
            self._thread.submit(self._close).result()
        finally:
            self._thread.shutdown()


@pytest.fixture
def chromium() -> Iterator[Chromium]:
    assert Path(CHROMIUM).exists(), "Debian chromium missing: run scripts/install-system-deps.sh"
    browser = Chromium()
    try:
        yield browser
    finally:
        browser.close()


async def test_edit_try_publish_and_roll_back_the_menu(
    settings: Settings, chromium: Chromium, console: str
) -> None:
    engine = Engine(settings)
    await engine.db.upgrade()
    original = settings.ivr.menu_file.read_text(encoding="utf-8")
    await MenuVersions(engine.db).publish(original, str(settings.ivr.menu_file), "e2e")
    await engine.start()
    try:
        await engine.ami.wait_connected(10)
        await chromium.run(editing, console)
        draft_call = (await engine.call_log.recent(limit=1))[0]
        assert NEW_NODE in draft_call.path

        assert await engine.reload_menu() == 2
        published = await simulate(settings, KEYS, CALLER)
        assert NEW_NODE in published.nodes and menu_version(published) == ["2"]

        await chromium.run(rolling_back_and_refusing, console)
        assert await engine.reload_menu() == 3
        restored = await simulate(settings, KEYS, CALLER)
        assert NEW_NODE not in restored.nodes and menu_version(restored) == ["3"]
    finally:
        await engine.stop()
