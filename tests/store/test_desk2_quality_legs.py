"""Issue 17 (R-135): voice quality on every SIP leg of a call, not only the caller's inbound
one: the operator's phone (Queue's option b) and a campaign callee's trunk leg push the same
hangup handler, which names the leg; each leg is stored with the call it belongs to (its
linkedid) and judged against the thresholds on its own; the call list marks the call with the
leg flagged and the daily report (console, CLI) lists legs."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from hotline.contact_center.quality import QualityTracker, daily_report
from hotline.dialplan.asterisk_config import RenderOptions, render_configs
from hotline.dialplan.names import (
    CONTEXT_DIALER,
    CONTEXT_OPERATOR,
    CONTEXT_QUALITY,
    CONTEXT_TRANSFER,
    QUALITY_EVENT,
    QUALITY_LEG_HEADER,
    QUALITY_PUSH,
    ChannelVar,
    QualityLeg,
)
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
    "ssrc=1;themssrc=2;lp=0;rxjitter=0.004000;rxcount=1000;txjitter=0.002000;"
    "txcount=1000;rlp=0;rtt=0.040000"
)
# The operator's phone loses 2 % of the packets it sends us.
LOSSY = (
    "ssrc=3;themssrc=4;lp=20;rxjitter=0.004000;rxcount=980;txjitter=0.002000;"
    "txcount=1000;rlp=0;rtt=0.040000"
)
# A phone that rang and was not answered: no audio either way.
SILENT = "ssrc=5;themssrc=0;lp=0;rxjitter=0;rxcount=0;txjitter=0;txcount=0;rlp=0;rtt=0"
ZONE = ZoneInfo("Europe/Moscow")


def leg_event(uniqueid: str, linkedid: str, leg: str, quality: str) -> AmiEvent:
    return AmiEvent.from_headers(
        [
            ("Event", "UserEvent"),
            ("UserEvent", QUALITY_EVENT),
            ("Channel", f"PJSIP/{leg}-{uniqueid}"),
            ("Uniqueid", uniqueid),
            ("Linkedid", linkedid),
            ("Quality", quality),
            (QUALITY_LEG_HEADER, leg),
        ]
    )


# An inbound call u1 (its caller's leg and operator anna's phone), a campaign call a1 (the
# callee's trunk leg and the operator's phone), a ring nobody answered, a leg we do not know.
EVENTS = [
    leg_event("u1", "u1", "caller", GOOD),
    leg_event("u1.op", "u1", "operator", LOSSY),
    leg_event("u1.ring", "u1", "operator", SILENT),
    leg_event("a1", "a1", "trunk", GOOD),
    leg_event("a1.op", "a1", "operator", GOOD),
    leg_event("x1", "x1", "fax", GOOD),
]


def test_every_sip_leg_pushes_the_handler_naming_itself() -> None:
    conf = render_configs(Settings(), RenderOptions("a", "b", "c", sandbox=False))[
        "extensions.conf"
    ]

    def context(name: str) -> str:
        return conf.split(f"[{name}]", 1)[1].split("\n[", 1)[0]

    push = f"{CONTEXT_QUALITY},{QUALITY_PUSH},1"
    assert f"Gosub({push}({QualityLeg.CALLER}))" in context("hotline-inbound")
    assert f"Gosub({push}({QualityLeg.TRUNK}))" in context(CONTEXT_DIALER)
    # Both Queue() calls run the push on each operator's new channel (option b).
    member = f"b({CONTEXT_QUALITY}^{QUALITY_PUSH}^1({QualityLeg.OPERATOR}))"
    assert context(CONTEXT_OPERATOR).count(member) == 2
    handler = context(CONTEXT_QUALITY)
    assert f"{QUALITY_LEG_HEADER}: ${{ARG1}}" in handler
    # A transfer's dial to a specialist's phone or over the trunk names its leg.
    transfer = context(CONTEXT_TRANSFER)
    assert f"b({CONTEXT_QUALITY}^{QUALITY_PUSH}^1(${{{ChannelVar.TRANSFER_LEG}}}))" in transfer


@pytest.fixture
async def db(db_url: str) -> AsyncIterator[Database]:
    database = Database(db_url)
    await database.upgrade()
    yield database
    await database.dispose()


async def test_each_leg_is_stored_with_its_call_and_judged_on_its_own(db: Database) -> None:
    store = CallQualityStore(db)
    tracker = QualityTracker(Subscription(None, 10), store, QualitySettings())
    for event in EVENTS:
        await tracker.handle(event)
    found = await daily_report(db, datetime.now(ZONE).date(), ZONE)
    assert found.measured == 2  # calls
    assert found.legs == {"caller": 1, "operator": 2, "trunk": 1}
    [flagged] = found.flagged
    assert (flagged.uniqueid, flagged.call, flagged.leg) == ("u1.op", "u1", QualityLeg.OPERATOR)
    assert flagged.loss == 0.02 and flagged.problems == ("loss",)
    # The call list marks the call u1 (its operator's leg); a1 is clean.
    assert await store.flagged_among(["u1", "a1", "u1.op"]) == {
        "u1": [(QualityLeg.OPERATOR, ("loss",))]
    }
    entry = found.to_dict()["flagged"]
    assert isinstance(entry, list) and (entry[0]["call"], entry[0]["leg"]) == ("u1", "operator")


def test_cli_and_console_show_the_leg(tmp_path: Path) -> None:
    settings = console_settings(tmp_path)
    asyncio.run(seed_users(settings))

    async def seed() -> None:
        async with Database.from_settings(settings) as db:
            await CallLog(db).open(
                uniqueid="u1", direction=CallDirection.INBOUND, caller="79001234567"
            )
            tracker = QualityTracker(
                Subscription(None, 10), CallQualityStore(db), settings.quality
            )
            for event in EVENTS:
                await tracker.handle(event)

    asyncio.run(seed())
    from hotline.cli.main import app as cli

    result = CliRunner().invoke(
        cli, ["--set", f"store.url={settings.database_url}", "quality", "report", "--json"]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["legs"] == {"caller": 1, "operator": 2, "trunk": 1}
    assert [(f["call"], f["leg"]) for f in data["flagged"]] == [("u1", "operator")]
    text = CliRunner().invoke(
        cli, ["--set", f"store.url={settings.database_url}", "quality", "report"]
    )
    assert text.exit_code == 0 and "телефон оператора" in text.output, text.output

    with TestClient(create_app(settings), base_url="http://127.0.0.1") as client:
        log_in(client, "boris")
        page = client.get("/reports/quality").text
        assert 'data-call="u1" data-leg="operator"' in page
        assert "телефон оператора — 2" in page
        calls = client.get("/calls").text
        assert "quality-flag" in calls and "телефон оператора: потери пакетов выше нормы" in calls
