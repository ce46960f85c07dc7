"""Issue 17 item 8 (R-135; thresholds R-132, R-133): Asterisk's RTP statistics parsed and
judged against the thresholds, stored from the hangup handler's UserEvent, and the daily
report (store, CLI, console) with the flagged calls marked in the call list."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from hotline.contact_center.quality import (
    QualityProblem,
    QualityTracker,
    daily_report,
    day_bounds,
    measure,
    parse_quality,
)
from hotline.core.vocabulary import LABELS
from hotline.dialplan.asterisk_config import RenderOptions, render_configs
from hotline.dialplan.names import CONTEXT_QUALITY, QUALITY_EVENT, QualityLeg
from hotline.protocol.ami import AmiEvent
from hotline.settings import Settings
from hotline.settings.desk import QualitySettings
from hotline.store.calllog import CallLog
from hotline.store.db import Database
from hotline.store.enums import CallDirection
from hotline.store.quality import CallQualityStore
from hotline.transport.ami import Subscription
from hotline.web.app import create_app
from tests.web.conftest import console_settings, log_in, seed_users

GOOD = (
    "ssrc=1;themssrc=2;lp=1;rxjitter=0.004000;rxcount=1000;txjitter=0.002000;"
    "txcount=1000;rlp=0;rtt=0.040000"
)
LOSSY = (
    "ssrc=1;themssrc=2;lp=10;rxjitter=0.045000;rxcount=990;txjitter=0.001;txcount=1000;"
    "rlp=2;rtt=0.400000"
)
AT = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)
ZONE = ZoneInfo("Europe/Moscow")


def test_statistics_against_the_thresholds() -> None:
    limits = QualitySettings()
    assert (limits.max_loss, limits.max_delay_ms) == (0.003, 150.0)
    good = measure("u1", "PJSIP/c-1", GOOD, AT, limits)
    assert good is not None and good.problems == ()
    assert (good.rx_packets, good.lost, good.jitter_ms, good.rtt_ms) == (1000, 1, 4.0, 40.0)
    assert good.loss == 0.000999  # 1 of 1001: under 0.3 %
    bad = measure("u2", "PJSIP/c-2", LOSSY, AT, limits)
    assert bad is not None
    assert bad.loss == 0.01  # 10 of 1000 received
    assert bad.problems == ("loss", "jitter", "delay")
    # No packet counts: not an RTP channel, nothing to store.
    assert parse_quality("") is None and measure("u3", None, "", AT, limits) is None
    assert set(LABELS["QualityProblem"]) == {p.value for p in QualityProblem}


def test_the_dialplan_reports_sip_calls_at_hangup() -> None:
    conf = render_configs(Settings(), RenderOptions("a", "b", "c", sandbox=False))[
        "extensions.conf"
    ]
    handler = conf.split(f"[{CONTEXT_QUALITY}]", 1)[1].split("\n[", 1)[0]
    # Each leg's handler names the leg (desk2: every SIP leg is measured, R-135).
    assert f"UserEvent({QUALITY_EVENT},Quality: ${{CHANNEL(rtcp,all)}},Leg: ${{ARG1}})" in handler
    assert f"Set(CHANNEL(hangup_handler_push)={CONTEXT_QUALITY},s,1(${{ARG1}}))" in handler
    assert '"${CHANNEL(channeltype)}" != "PJSIP"' in handler
    inbound = conf.split("[hotline-inbound]", 1)[1].split("\n[", 1)[0]
    assert f"Gosub({CONTEXT_QUALITY},push,1(caller))" in inbound


@pytest.fixture
async def db(db_url: str) -> AsyncIterator[Database]:
    database = Database(db_url)
    await database.upgrade()
    yield database
    await database.dispose()


def user_event(uniqueid: str, quality: str, name: str = QUALITY_EVENT) -> AmiEvent:
    return AmiEvent.from_headers(
        [
            ("Event", "UserEvent"),
            ("UserEvent", name),
            ("Uniqueid", uniqueid),
            ("Channel", "PJSIP/carrier-1"),
            ("Quality", quality),
        ]
    )


async def test_the_tracker_stores_and_the_day_report_flags(db: Database) -> None:
    store = CallQualityStore(db)
    tracker = QualityTracker(Subscription(None, 10), store, QualitySettings())
    await tracker.handle(user_event("u1", GOOD))
    await tracker.handle(user_event("u2", LOSSY))
    await tracker.handle(user_event("u3", GOOD, name="Other"))
    await tracker.handle(user_event("u4", ""))
    today = datetime.now(ZONE).date()
    found = await daily_report(db, today, ZONE)
    assert found.measured == 2
    assert [r.uniqueid for r in found.flagged] == ["u2"]
    assert await store.flagged_among(["u1", "u2", "u9"]) == {
        "u2": [(QualityLeg.CALLER, ("loss", "jitter", "delay"))]
    }
    assert (await daily_report(db, date(2020, 1, 1), ZONE)).measured == 0
    start, end = day_bounds(date(2026, 12, 3), ZONE)
    assert (start.hour, (end - start).days) == (21, 1)  # Moscow midnight in UTC


def test_cli_and_console(tmp_path: Path) -> None:
    settings = console_settings(tmp_path)
    asyncio.run(seed_users(settings))

    async def seed() -> None:
        async with Database.from_settings(settings) as db:
            await CallLog(db).open(
                uniqueid="u2", direction=CallDirection.INBOUND, caller="79001234567"
            )
            tracker = QualityTracker(
                Subscription(None, 10), CallQualityStore(db), settings.quality
            )
            await tracker.handle(user_event("u1", GOOD))
            await tracker.handle(user_event("u2", LOSSY))

    asyncio.run(seed())
    from hotline.cli.main import app as cli

    result = CliRunner().invoke(
        cli, ["--set", f"store.url={settings.database_url}", "quality", "report", "--json"]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert (data["measured"], data["flagged_count"]) == (2, 1)
    assert data["flagged"][0]["problems"] == ["loss", "jitter", "delay"]

    with TestClient(create_app(settings), base_url="http://127.0.0.1") as client:
        log_in(client, "boris")
        page = client.get("/reports/quality")
        assert page.status_code == 200
        assert 'data-call="u2"' in page.text and 'data-call="u1"' not in page.text
        assert "потери пакетов выше нормы" in page.text
        assert client.get("/reports/quality?day=nonsense").status_code == 422
        calls = client.get("/calls").text
        assert "quality-flag" in calls
        log_in(client, "anna")
        assert client.get("/reports/quality").status_code == 403
