"""A campaign callee who never answers gets the message by SMS (rule sms_fallback, R-092):
the call goes through the sandbox's simulated carrier, the SMS through the real Kannel to
its fakesmsc, and Kannel's delivery reports are stored as the contact's SMS outcome."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from dialer.model import CampaignRules, Reason
from dialer.repository import DialerStore
from hotline.app import Engine
from hotline.sandbox import Sandbox
from hotline.sandbox.kannel import KannelRunner
from hotline.settings import Settings
from hotline.store.models import SmsEventKind, SmsStatus
from tests.dialer_support import NOW, Clock, running_campaign, short_scenario
from tests.e2e.engine_support import engine_settings

pytestmark = [pytest.mark.e2e]

NEVER_ANSWERS = "+79131234565"  # the simulated carrier's last digit 5
FAST_DIALER = {
    "tick_seconds": 0.2,
    "calls_per_second": 20.0,
    "ring_seconds": 3.0,
    "same_number_gap_seconds": 0.0,
}
SMS_TEXT = "Здравствуйте! Сумма к оплате по вашему счёту: {amount} Спасибо!"
EXPECTED = "Здравствуйте! Сумма к оплате по вашему счёту: 1\u00a0234,50 руб. Спасибо!"


@pytest.fixture
def settings(tmp_path: Path, sandbox: Sandbox) -> Settings:
    return engine_settings(
        tmp_path / "hotline.db",
        dialer=FAST_DIALER,
        sms={"enabled": True, "poll_interval": 0.2},
    )


async def test_no_answer_ends_with_an_sms_through_kannel_and_its_report_is_stored(
    kannel: KannelRunner, settings: Settings, tmp_path: Path
) -> None:
    engine = Engine(settings, clock=Clock(NOW))
    store = DialerStore(engine.db)
    await engine.db.upgrade()
    scenario = short_scenario().model_copy(update={"sms_text": SMS_TEXT})
    rules = CampaignRules(max_attempts=1, sms_fallback=True)
    campaign = await running_campaign(
        store, tmp_path, [NEVER_ANSWERS], scenario=scenario, rules=rules
    )
    await engine.start()
    try:
        received = await asyncio.to_thread(kannel.wait_received, 1, 30.0)
        # Kannel calls back once per report (8: the SMSC took it, 1: delivered); the two
        # requests may be stored in either order, so wait for both.
        async with asyncio.timeout(15):
            while True:
                (row,) = await store.targets_detail(campaign.id)
                (message,) = await engine.sms_store.recent()
                events = await engine.sms_store.events(message.id)
                reports = {e.dlr_type for e in events if e.kind is SmsEventKind.DLR}
                if row["sms_status"] == "delivered" and {1, 8} <= reports:
                    break
                await asyncio.sleep(0.2)
    finally:
        await engine.stop()
    assert [(m.to, m.text) for m in received] == [(NEVER_ANSWERS, EXPECTED)]
    # The call's outcome stays no_answer; the SMS's is beside it.
    assert (row["result"], row["reason"]) == ("negative", Reason.NO_ANSWER)
    assert message.status is SmsStatus.DELIVERED and message.text == EXPECTED
    dlr_types = {e.dlr_type for e in events if e.kind is SmsEventKind.DLR}
    assert {1, 8} <= dlr_types
