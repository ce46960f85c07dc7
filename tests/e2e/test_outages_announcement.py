"""R-097, R-032: a caller identified by caller ID whose address is in a current outage hears
it right after the greeting (the cause, the restoration time in Russian) and still reaches the
dispatcher with the announced key; the call log records that the outage was heard."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from hotline.app import Engine
from hotline.contact_center.outages import register, restoration_phrase
from hotline.dialplan.names import OperatorReason
from hotline.settings import Settings
from hotline.speech import russian
from hotline.store.accounts import AccountRecord, AccountStore
from hotline.store.audit import Actor
from hotline.store.db import Database
from hotline.store.enums import CallOutcome, EventKind
from hotline.store.outages import Place
from ivr import prompts
from tests.e2e.engine_support import engine_settings, simulate

pytestmark = [pytest.mark.e2e, pytest.mark.short_prompts, pytest.mark.usefixtures("sandbox")]

ZONE = ZoneInfo("Asia/Krasnoyarsk")
PHONE = "79131234567"
ACCOUNT = "100000000001"
CAUSE = "Авария на подстанции, бригада уже работает"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return engine_settings(tmp_path / "outages.db", simulate={"queue_linger_seconds": 1.0})


async def test_identified_caller_hears_the_outage_and_reaches_the_dispatcher(
    engine: Engine, settings: Settings
) -> None:
    tomorrow = dt.datetime.now(ZONE).date() + dt.timedelta(days=1)
    restore = dt.datetime.combine(tomorrow, dt.time(18, 30), ZONE)
    async with Database.from_settings(settings) as db:
        await AccountStore(db).upsert(
            [
                AccountRecord(
                    ACCOUNT,
                    "Иванов Иван Иванович",
                    "г. Красноярск, ул. Ленина, д. 1, кв. 5",
                    "Asia/Krasnoyarsk",
                    Decimal("0"),
                    None,
                    None,
                    None,
                    None,
                    (PHONE,),
                    (),
                )
            ]
        )
        outage = await register(
            db,
            cause=CAUSE,
            restore_at=restore,
            places=[Place("Красноярск", "улица Ленина")],
            accounts=[],
            by=Actor("dima", "cli"),
        )
    # Nothing is pressed while the intro, the cause, the restoration time and the dispatcher
    # prompt play (one empty DTMF segment each); then the dispatcher key.
    transcript = await simulate(settings, "||||" + "|1", caller_id=PHONE)

    assert transcript.call_log is not None
    call_events = transcript.call_log["events"]
    said = [e["value"] for e in call_events if e["kind"] == EventKind.PROMPT]
    when = restoration_phrase(restore, ZONE).text
    assert when == f"{russian.date(tomorrow).text}, восемнадцать часов тридцать минут"
    start = said.index(prompts.OUTAGE_INTRO)
    assert said[start : start + 4] == [
        prompts.OUTAGE_INTRO,
        "outage.cause",
        prompts.OUTAGE_RESTORE,
        when,
    ]
    assert said[start + 4] == prompts.OUTAGE_DISPATCHER
    assert prompts.RECORDING_NOTICE in said[:start]  # right after the greeting and notice
    heard = [e for e in call_events if e["kind"] == EventKind.OUTAGE_HEARD]
    assert [e["value"] for e in heard] == [str(outage.id)]
    assert transcript.outcome == CallOutcome.OPERATOR
    assert transcript.operator_reason == OperatorReason.OUTAGE
    assert transcript.nodes[-2:] == ["outage", "operator"]
