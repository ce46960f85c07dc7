"""Chromium on the console for the charts tests (issue 18): the console served in this process
on a free port, a logged-in page, and each uPlot chart's drawn x range read from the page."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import uvicorn
from playwright.sync_api import Page, sync_playwright

from hotline.settings import Settings
from hotline.web.app import create_app
from tests.e2e.web_support import CHROMIUM, free_port
from tests.web.conftest import PASSWORD

WIDTH, HEIGHT = 1366, 768


@contextmanager
def served(settings: Settings) -> Iterator[str]:
    """The console app on a free loopback port, in a thread of this process."""
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_config=None)
    )
    thread = threading.Thread(target=server.run, name="console", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the console did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


@contextmanager
def browser_page() -> Iterator[Page]:
    assert Path(CHROMIUM).exists(), "Debian chromium missing: run scripts/install-system-deps.sh"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            yield browser.new_page(locale="ru-RU", viewport={"width": WIDTH, "height": HEIGHT})
        finally:
            browser.close()


def log_in(page: Page, url: str, name: str) -> None:
    page.goto(f"{url}/login")
    page.fill("input[name=name]", name)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()


@dataclass(frozen=True)
class Drawn:
    """A chart as uPlot drew it: its x scale in unix seconds, its point count, its note."""

    min: float
    max: float
    points: int
    note: str | None


def charts(page: Page) -> dict[str, Drawn]:
    """Every chart on the page, by element id, once drawn."""
    page.wait_for_function(
        "[...document.querySelectorAll('[data-chart]')].every(e => e.dataset.drawn === 'yes')"
    )
    found = page.evaluate(
        """() => [...document.querySelectorAll('[data-chart]')].map(e => ({
            id: e.id, min: e.uplot.scales.x.min, max: e.uplot.scales.x.max,
            points: e.uplot.data[0].length,
            note: e.querySelector('.chart-note')?.textContent ?? null}))"""
    )
    return {c["id"]: Drawn(c["min"], c["max"], c["points"], c["note"]) for c in found}
