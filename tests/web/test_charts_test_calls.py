"""Issue 18 item 3: the wallboard, the queue and IVR reports and the call list leave test
(simulated) calls out unless their «включая тестовые звонки» switch is on, and say how many
they left out; ``web.include_simulated`` turns the switch on by default."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from hotline.core.clock import utc_now
from hotline.settings import Settings
from hotline.store.calllog import CallLog
from hotline.store.db import Database
from hotline.store.enums import CallDirection, CallOutcome
from hotline.web.app import create_app
from tests.web.conftest import log_in

REAL, SIMULATED = 2, 3


def seed(settings: Settings, start: datetime) -> None:
    """Two real calls and three simulated ones, each through the menu."""

    async def work() -> None:
        async with Database.from_settings(settings) as db:
            log = CallLog(db)
            for n in range(REAL + SIMULATED):
                uniqueid, at = f"call-{n}", start + timedelta(seconds=n)
                await log.open(
                    uniqueid=uniqueid,
                    direction=CallDirection.INBOUND,
                    started_at=at,
                    simulated=n >= REAL,
                )
                await log.add_event(uniqueid, "node", "main", at=at)
                await log.set_outcome(uniqueid, CallOutcome.COMPLETED)
                await log.ended(uniqueid, at=at + timedelta(seconds=20))

    asyncio.run(work())


def figure(pattern: str, html: str) -> str:
    found = re.search(pattern, html)
    assert found, pattern
    return found.group(1)


def test_reports_leave_test_calls_out_and_say_so(client: TestClient, settings: Settings) -> None:
    seed(settings, utc_now() - timedelta(minutes=1))
    log_in(client, "boris")
    ivr = client.get("/reports/ivr").text
    assert figure(r"Звонков в IVR: <strong>(\d+)</strong>", ivr) == str(REAL)
    assert f"Не учтено тестовых звонков: {SIMULATED}." in ivr
    assert 'name="test" value="1">' in ivr  # the switch, not ticked
    ivr = client.get("/reports/ivr?test=0&test=1").text  # the form's hidden 0, then the box
    assert figure(r"Звонков в IVR: <strong>(\d+)</strong>", ivr) == str(REAL + SIMULATED)
    assert f"Учтены тестовые звонки: {SIMULATED}." in ivr
    assert 'name="test" value="1" checked>' in ivr and "&test=1" in ivr  # downloads follow
    csv = client.get("/reports/ivr.csv?test=1").content.decode("utf-8-sig")
    assert f"Звонков в IVR;{REAL + SIMULATED}" in csv

    queue = client.get("/reports/queue").text
    assert figure(r"Поступило звонков: (\d+)", queue) == str(REAL)
    assert f"Не учтено тестовых звонков: {SIMULATED}." in queue
    queue = client.get("/reports/queue?test=1").text
    assert figure(r"Поступило звонков: (\d+)", queue) == str(REAL + SIMULATED)

    calls = client.get("/calls").text
    assert calls.count("<tr data-call=") == REAL
    assert f"Не учтено тестовых звонков: {SIMULATED}." in calls
    assert client.get("/calls?test=1").text.count("<tr data-call=") == REAL + SIMULATED


def test_the_wallboard_switch(client: TestClient, settings: Settings) -> None:
    seed(settings, utc_now() - timedelta(seconds=30))
    log_in(client, "boris")
    board = client.get("/wallboard").text
    assert f"Не учтено тестовых звонков: {SIMULATED}." in board
    assert 'id="wallboard-switch"' in board and 'sse-connect="/wallboard/stream?test=0"' in board
    board = client.get("/wallboard?test=1").text
    assert f"Учтены тестовые звонки: {SIMULATED}." in board
    assert 'sse-connect="/wallboard/stream?test=1"' in board


@pytest.fixture
def demo_client(settings: Settings) -> Iterator[TestClient]:
    web = settings.web.model_copy(update={"include_simulated": True})
    with TestClient(
        create_app(settings.model_copy(update={"web": web})), base_url="http://127.0.0.1"
    ) as client:
        yield client


def test_the_setting_turns_the_switch_on(demo_client: TestClient, settings: Settings) -> None:
    seed(settings, utc_now() - timedelta(minutes=1))
    log_in(demo_client, "boris")
    ivr = demo_client.get("/reports/ivr").text
    assert figure(r"Звонков в IVR: <strong>(\d+)</strong>", ivr) == str(REAL + SIMULATED)
    assert 'name="test" value="1" checked>' in ivr
    # ...and a person can still turn it off.
    ivr = demo_client.get("/reports/ivr?test=0").text
    assert figure(r"Звонков в IVR: <strong>(\d+)</strong>", ivr) == str(REAL)
