"""Issue 18, item 1: the console speaks Russian.  Chromium loads every page (as a supervisor,
the admin pages as an admin, the operator panel as an operator) on a store with data in it
and fails on any Latin-only word in the visible text outside an explicit allow-list."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Final

import pytest
import yaml
from playwright.sync_api import Page, sync_playwright

from dialer.model import AttemptStatus, Reason, Result
from dialer.repository import DialerStore
from hotline.appeals.register import AppealRequest, Appeals
from hotline.settings import Settings
from hotline.store.audit import Actor
from hotline.store.callbacks import CallbackStore
from hotline.store.calllog import CallLog
from hotline.store.db import Database
from hotline.store.enums import (
    AppealChannel,
    CallDirection,
    CallOutcome,
    EventKind,
    QueueEventKind,
    ReplyChannel,
)
from hotline.store.operators import Operators
from hotline.store.outages import OutageStore, Place
from hotline.store.queue_events import QueueEventRecord, QueueEvents
from tests.dialer_support import running_campaign
from tests.e2e.engine_support import wait_for_port
from tests.e2e.web_support import CHROMIUM, free_port
from tests.log_audit import log_file
from tests.web.conftest import PASSWORD, console_settings, seed_users

pytestmark = [pytest.mark.e2e]

CAMPAIGN: Final = "dolg-dekabr"
MENU_NODES: Final = frozenset(
    yaml.safe_load((Path(__file__).parents[2] / "menus" / "hotline.yaml").read_text("utf-8"))[
        "nodes"
    ]
)
# Latin words a Russian console may show: product names, formats, units, and the data this
# test typed that is Latin by rule (log-in names and campaign names are slugs).
ALLOWED: Final = frozenset(
    {
        *("Asterisk", "SIP", "CSV", "XLSX", "IVR", "AMI", "PJSIP", "WAV", "MP3", "E.164", "SMS"),
        "HOTLINE",  # the prefix of the environment variables the settings page names
        *("boris", "anna", "vera", "author", "manager", "setup"),
        *(CAMPAIGN, f"{CAMPAIGN}-scenario", f"{CAMPAIGN}-list"),
        # Time zone ids (IANA), as the settings and the contact list name them.
        *("Europe", "Moscow", "Asia", "Krasnoyarsk", "Novosibirsk"),
        # Menu node ids in call paths: the menu file's identifiers, as its author typed them.
        *MENU_NODES,
    }
)
SUPERVISOR_PAGES: Final = (
    "/",
    "/calls",
    "/campaigns",
    f"/campaigns/{CAMPAIGN}",
    "/reports/ivr",
    "/reports/queue",
    "/wallboard",
    "/recordings",
    "/outages",
    "/appeals",
    "/appeals?by=channel",
    "/appeals?by=status",
    "/appeals?by=unit",
    "/kb",
)
ADMIN_PAGES: Final = ("/admin/users", "/admin/audit", "/admin/settings")
WORD: Final = re.compile(r"[A-Za-z][A-Za-z0-9_.\-]*[A-Za-z0-9]|[A-Za-z]")


async def _seed(settings: Settings, tmp_path: Path) -> str:
    """Fills the store; returns the number of the appeal it registered."""
    now = datetime.now(UTC).replace(microsecond=0)
    async with Database.from_settings(settings) as db:
        await db.upgrade()
        store = DialerStore(db)
        phones = ["+79131234561", "+79131234562", "+79131234563", "+79131234564"]
        campaign = await running_campaign(
            store, tmp_path, phones, name=CAMPAIGN, now=now - timedelta(hours=1)
        )
        outcomes = (
            (Result.POSITIVE, Reason.DELIVERED, True),
            (None, Reason.BUSY, False),
            (Result.NEGATIVE, Reason.INVALID_NUMBER, True),
            (None, Reason.NO_ANSWER, False),
        )
        targets = await store.due_targets(campaign.id, now, 10)
        for n, (target, (result, reason, final)) in enumerate(zip(targets, outcomes, strict=True)):
            attempt = await store.begin_attempt(target, f"a-{n}", now - timedelta(minutes=30))
            assert attempt is not None
            await store.end_attempt(
                attempt.id,
                status=AttemptStatus.ENDED,
                result=result,
                reason=reason,
                cause="16",
                now=now - timedelta(minutes=29),
                retry_at=None if final else now + timedelta(hours=2),
                final=final,
            )
        log, events = CallLog(db), QueueEvents(db)
        queue = settings.queue.name
        calls = (
            ("v.1", CallOutcome.COMPLETED, None),
            ("v.2", CallOutcome.OPERATOR, "menu"),
            ("v.3", CallOutcome.ABANDONED, None),
            ("v.4", CallOutcome.FALLBACK, "fallback"),
        )
        for n, (uid, outcome, reason) in enumerate(calls):
            at = now - timedelta(minutes=20 - n)
            await log.open(
                uniqueid=uid,
                direction=CallDirection.INBOUND,
                started_at=at,
                caller=f"7913000000{n}",
            )
            await log.add_event(uid, EventKind.NODE, "main", at=at)
            await log.set_outcome(uid, outcome, operator_reason=reason)
            await log.ended(uid, at=at + timedelta(seconds=40), hangup_cause="16")
            if reason is not None:
                await events.add(QueueEventRecord(at, QueueEventKind.JOIN, uid, queue))
                await events.add(
                    QueueEventRecord(
                        at + timedelta(seconds=5),
                        QueueEventKind.CONNECT,
                        uid,
                        queue,
                        member="anna",
                    )
                )
        await Operators(db).add("anna", "Local/anna@operators", simulated=True)
        callbacks = CallbackStore(db)
        await callbacks.request("79131234567", source="ivr")
        await OutageStore(db).add(
            cause="Авария на подстанции",
            restore_at=now + timedelta(hours=3),
            places=[Place("Новосибирск", "Ленина")],
            by="boris",
        )
        appeals = Appeals(db, settings.appeals, settings.hours.timezone)
        appeal = await appeals.register(
            AppealRequest(
                channel=AppealChannel.VOICEMAIL,
                category="complaint",
                topic="quality",
                subject="Перепады напряжения",
                reply_channel=ReplyChannel.SMS,
                call_id="1764770000.42",  # Asterisk's uniqueid of the call
            ),
            Actor("boris", "web"),
        )
        return appeal.number


@pytest.fixture
def console(tmp_path: Path) -> Iterator[tuple[str, str]]:
    """`hotline web` as its own process over a store with data in it; (its URL, the number of
    the appeal in it)."""
    settings = console_settings(tmp_path)
    asyncio.run(seed_users(settings))
    appeal = asyncio.run(_seed(settings, tmp_path))
    port = free_port()
    argv = [sys.executable, "-m", "hotline.cli"]
    for pair in (f"store.url={settings.database_url}", f"web.port={port}"):
        argv += ["--set", pair]
    # Its log goes to the session's log folder, which the log audit greps (issue 14, M7).
    with log_file("console").open("wb") as sink:
        proc = subprocess.Popen([*argv, "web"], env=dict(os.environ), stdout=sink, stderr=sink)
    try:
        asyncio.run(wait_for_port("127.0.0.1", port))
        yield f"http://127.0.0.1:{port}", appeal
    finally:
        proc.terminate()
        proc.wait(15)


# The settings page shows the effective configuration as the configuration file reads (keys
# and values the admin types): <pre> blocks are not checked.
VISIBLE_TEXT: Final = """() => {
  for (const pre of document.querySelectorAll("pre")) pre.style.display = "none";
  return document.body.innerText;
}"""


def _latin_words(page: Page) -> set[str]:
    text: str = page.evaluate(VISIBLE_TEXT)
    return {w for w in WORD.findall(text) if w not in ALLOWED}


def _log_in(page: Page, url: str, name: str) -> None:
    page.goto(url + "/login")
    page.fill("input[name=name]", name)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("#logout")


def test_every_page_reads_in_russian(console: tuple[str, str]) -> None:
    url, appeal = console
    assert Path(CHROMIUM).exists(), "Debian chromium missing: run scripts/install-system-deps.sh"
    found: dict[str, set[str]] = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            for user, pages in (
                ("boris", (*SUPERVISOR_PAGES, f"/appeals/{appeal}")),
                ("vera", ADMIN_PAGES),
                ("anna", ("/operator",)),
            ):
                page = browser.new_page(locale="ru-RU", viewport={"width": 1366, "height": 768})
                _log_in(page, url, user)
                for path in pages:
                    response = page.goto(url + path)
                    assert response is not None and response.status == 200, path
                    page.wait_for_load_state("load")
                    words = _latin_words(page)
                    if words:
                        found[f"{user} {path}"] = words
                page.close()
        finally:
            browser.close()
    assert not found, f"Latin words on the console's pages: {found}"
