"""Meter readings and balance by keypad through the real Asterisk: identification by caller ID
and by typed number, single- and two-zone meters, re-entry, refusals, the plausibility
check, the acceptance window, a hang-up and a killed engine (nothing lost, nothing doubled).

Keys are timed against the prompts: a key pressed while a prompt that does not listen plays
is dropped by Asterisk (as on a real phone), so the DTMF strings wait (``w`` = 1 s) for the
length of such prompts, measured from the built audio.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import math
import signal
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from hotline.app import Engine, running_engine
from hotline.calls.simulator import Transcript
from hotline.dialplan.names import CONTEXT_FALLBACK, CONTEXT_OPERATOR, OperatorReason
from hotline.settings import Settings
from hotline.speech.library import PromptLibrary
from hotline.store.accounts import AccountRecord, AccountStore, MeterRecord, ReadingStore
from hotline.store.calllog import CallLog
from hotline.store.db import Database
from hotline.store.enums import CallOutcome
from hotline.transport.ami import AmiClient
from ivr import prompts
from tests.e2e.engine_support import (
    engine_process,
    engine_settings,
    simulate,
    simulator,
    wait_for_node,
    wait_for_port,
)

pytestmark = [pytest.mark.e2e, pytest.mark.short_prompts, pytest.mark.usefixtures("sandbox")]

ZONE = "Asia/Krasnoyarsk"
SINGLE = "100000000001"  # caller ID 79131234567, one single-zone meter (6 digits, 12345)
TWO_ZONE = "100000000002"  # caller ID 79137654321, one day/night meter (20000 / 8000)
SINGLE_PHONE = "79131234567"
TWO_ZONE_PHONE = "79137654321"
UNKNOWN_PHONE = "79990000000"
# A key pressed every second: the first one that lands on a listening prompt (the main menu
# after the flow returns there) takes the caller to the operator, which ends the simulation
# sooner than rounds of silence would.
THEN_OPERATOR = "w0" * 30


def today() -> dt.date:
    return dt.datetime.now(dt.UTC).astimezone(ZoneInfo(ZONE)).date()


def accounts() -> list[AccountRecord]:
    month_ago = today() - dt.timedelta(days=30)
    return [
        AccountRecord(
            SINGLE,
            "Иванов Иван Иванович",
            "г. Красноярск, ул. Ленина, д. 1",
            ZONE,
            Decimal("1234.56"),
            today() + dt.timedelta(days=20),
            Decimal("1500.00"),
            month_ago,
            250,
            (SINGLE_PHONE,),
            (MeterRecord("00112233", 1, 6, (12345,), month_ago),),
        ),
        AccountRecord(
            TWO_ZONE,
            "Петрова Анна Сергеевна",
            "г. Кызыл, ул. Кочетова, д. 10",
            ZONE,
            Decimal("-120.50"),
            None,
            None,
            None,
            300,
            (TWO_ZONE_PHONE,),
            (MeterRecord("00445566", 2, 6, (20000, 8000), month_ago),),
        ),
    ]


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return engine_settings(tmp_path / "hotline.db")


async def seed(settings: Settings) -> None:
    async with Database.from_settings(settings) as db:
        await db.upgrade()
        await AccountStore(db).upsert(accounts())


@pytest.fixture
async def seeded(settings: Settings) -> None:
    await seed(settings)


def pause(settings: Settings, *prompt_ids: str) -> str:
    """Waits covering prompts that do not listen (keys pressed meanwhile would be lost)."""
    library = PromptLibrary(settings)
    seconds = sum(library.duration(p) for p in prompt_ids)
    return "w" * math.ceil(seconds + 0.5)


def played(transcript: Transcript) -> list[str]:
    return [Path(p).name for p in transcript.prompts]


def events(transcript: Transcript, kind: str) -> list[dict[str, Any]]:
    assert transcript.call_log is not None
    return [e for e in transcript.call_log["events"] if e["kind"] == kind]


async def history(settings: Settings, account: str) -> list[Any]:
    async with Database.from_settings(settings) as db:
        return await ReadingStore(db).history(account)


@pytest.mark.usefixtures("seeded")
async def test_caller_id_single_zone_too_many_digits_then_accepted(
    engine: Engine, settings: Settings
) -> None:
    # 1 readings; 1 "yes, my account ends with ..."; 7 digits on a 6-digit meter (refused);
    # then 12400 and 1 to confirm.
    dtmf = "1w1w1234567#" + pause(settings, prompts.READING_TOO_MANY_DIGITS) + "12400#w1"
    transcript = await simulate(settings, dtmf, caller_id=SINGLE_PHONE)

    names = played(transcript)
    assert prompts.ACCOUNT_ENDS_WITH in names
    assert prompts.ACCOUNT_ENTER not in names  # identified by caller ID alone
    assert prompts.READING_TOO_MANY_DIGITS in names
    assert names.index(prompts.READING_ACCEPTED) > names.index(prompts.YOU_ENTERED)
    assert transcript.outcome == CallOutcome.COMPLETED
    assert [e["value"] for e in events(transcript, "account")] == [SINGLE]
    [reading] = events(transcript, "reading")
    assert reading["value"] == "00112233/1=12400"
    assert reading["detail"] == {
        "meter": "00112233",
        "zone": 1,
        "value": 12400,
        "previous": 12345,
        "consumption": 55,
        "flags": [],
    }
    [row] = await history(settings, SINGLE)
    assert (row.value, row.previous, row.consumption, row.flags) == (12400, 12345, 55, ())
    assert row.call_id == transcript.call_log["id"]  # type: ignore[index]
    assert row.period == f"{today():%Y-%m}" and row.superseded_by is None


@pytest.mark.usefixtures("seeded")
async def test_typed_account_two_zones_with_reentry_and_resubmission(
    engine: Engine, settings: Settings
) -> None:
    accepted = pause(settings, prompts.READING_ACCEPTED)
    # Unknown caller: types the account, confirms; day zone 20100 -> 2 (re-enter) -> 20150,
    # confirmed; night zone 8050, confirmed.
    dtmf = f"1w{TWO_ZONE}#w1w20100#w2w20150#w1{accepted}8050#w1"
    transcript = await simulate(settings, dtmf, caller_id=UNKNOWN_PHONE)

    names = played(transcript)
    assert prompts.ACCOUNT_ENTER in names and prompts.ACCOUNT_ENDS_WITH not in names
    assert prompts.ZONE_DAY in names and prompts.ZONE_NIGHT in names
    assert transcript.outcome == CallOutcome.COMPLETED
    assert [e["value"] for e in events(transcript, "account")] == [TWO_ZONE]
    assert [e["value"] for e in events(transcript, "reading")] == [
        "00445566/1=20150",
        "00445566/2=8050",
    ]
    rows = await history(settings, TWO_ZONE)
    assert [(r.zone, r.value, r.consumption) for r in rows] == [(1, 20150, 150), (2, 8050, 50)]


@pytest.mark.usefixtures("seeded")
async def test_reading_below_the_last_is_refused_and_offers_the_operator(
    engine: Engine, settings: Settings
) -> None:
    transcript = await simulate(settings, "1w1w12000#w1w0", caller_id=SINGLE_PHONE)
    assert prompts.READING_LOWER in played(transcript)
    assert transcript.outcome == CallOutcome.OPERATOR
    assert transcript.operator_reason == OperatorReason.READING_REFUSED
    assert events(transcript, "reading") == []
    assert await history(settings, SINGLE) == []


@pytest.mark.usefixtures("seeded")
async def test_implausible_consumption_is_confirmed_twice_and_flagged(
    engine: Engine, settings: Settings
) -> None:
    # 250 kWh a month on average, last reading a month ago: 1155 kWh is above 3x.
    transcript = await simulate(settings, "1w1w13500#w1w1", caller_id=SINGLE_PHONE)
    names = played(transcript)
    # The consumption is said first; the caller's second 1 may cut the question short.
    assert names.index(prompts.READING_CONSUMPTION) < names.index(prompts.READING_ACCEPTED)
    assert "readings.implausible" in transcript.nodes
    [row] = await history(settings, SINGLE)
    assert (row.value, row.consumption, row.flags, row.needs_review) == (
        13500,
        1155,
        ("implausible",),
        True,
    )


@pytest.mark.usefixtures("seeded")
async def test_balance_debt_due_date_last_payment_and_last_reading(
    engine: Engine, settings: Settings
) -> None:
    # Identified by caller ID, so the default accounts.money_disclosure ("account_digits")
    # asks for the account's last digits (typed while the end of the question listens).
    last = SINGLE[-settings.accounts.money_digits :]
    factor = pause(settings, prompts.MONEY_DIGITS_ENTER) + "w" + last + "#"
    transcript = await simulate(settings, "2w1" + factor + THEN_OPERATOR, caller_id=SINGLE_PHONE)
    names = played(transcript)
    order = [
        prompts.BALANCE_DEBT,
        prompts.BALANCE_DUE,
        prompts.BALANCE_LAST_PAYMENT,
        prompts.BALANCE_RECEIVED_ON,
        prompts.LAST_ACCEPTED,
    ]
    assert [n for n in names if n in order] == order
    assert "balance.info" in transcript.nodes
    # Back to the main menu afterwards.
    assert transcript.nodes[transcript.nodes.index("balance.info") + 1] == "main"
    assert await history(settings, SINGLE) == []


async def test_outside_the_window_refused_or_taken_for_the_next_period(
    tmp_path: Path,
) -> None:
    # A window that never contains today.
    day = today().day
    window = "1-1" if day != 1 else "2-2"
    refuse = engine_settings(tmp_path / "r.db", readings={"window_days": window})
    await seed(refuse)
    async with running_engine(refuse) as engine:
        await engine.ami.wait_connected(10)
        transcript = await simulate(refuse, "1w1" + THEN_OPERATOR, caller_id=SINGLE_PHONE)
    names = played(transcript)
    assert [n for n in names if n.startswith("readings.window")][:3] == [
        prompts.WINDOW_FROM,
        prompts.WINDOW_UNTIL,
        prompts.WINDOW_DAY_OF_MONTH,
    ]
    assert prompts.WINDOW_CALL_IN_WINDOW in names and prompts.ZONE_SINGLE not in names
    assert await history(refuse, SINGLE) == []

    later = engine_settings(
        tmp_path / "n.db", readings={"window_days": window, "outside_window": "next_period"}
    )
    await seed(later)
    window_said = pause(
        later,
        prompts.WINDOW_FROM,
        prompts.WINDOW_UNTIL,
        prompts.WINDOW_DAY_OF_MONTH,
        prompts.NEXT_PERIOD,
    )
    async with running_engine(later) as engine:
        await engine.ami.wait_connected(10)
        transcript = await simulate(later, f"1w1{window_said}ww12400#w1", caller_id=SINGLE_PHONE)
    assert prompts.NEXT_PERIOD in played(transcript)
    [row] = await history(later, SINGLE)
    next_month = (today().replace(day=1) + dt.timedelta(days=32)).replace(day=1)
    assert row.period == f"{next_month:%Y-%m}"
    assert row.flags == ("next_period",)


async def hang_up_simulated_calls(ami: AmiClient) -> None:
    for channel in await ami.core_show_channels():
        if channel.uniqueid.startswith("sim-"):
            await ami.hangup(channel.get("channel"), 16)


async def wait_for_count(call_log: CallLog, node: str, count: int, within: float = 60) -> None:
    async with asyncio.timeout(within):
        while True:
            records = await call_log.recent(limit=1)
            if records and records[0].path.count(node) >= count:
                return
            await asyncio.sleep(0.05)


@pytest.mark.usefixtures("seeded")
async def test_hang_up_before_confirmation_saves_nothing(
    engine: Engine, settings: Settings
) -> None:
    async with simulator(settings) as (sim, call_log, ami):
        call = asyncio.create_task(sim.run("1w1w12400#", caller_id=SINGLE_PHONE))
        await wait_for_node(call_log, "readings.confirm")
        await hang_up_simulated_calls(ami)
        transcript = await call
    assert transcript.outcome == CallOutcome.ABANDONED
    assert events(transcript, "reading") == []
    assert await history(settings, SINGLE) == []


async def test_engine_killed_before_confirmation_loses_and_doubles_nothing(
    settings: Settings,
) -> None:
    await seed(settings)
    accepted = pause(settings, prompts.READING_ACCEPTED)
    # Day zone confirmed; night zone typed, then the engine dies before the caller confirms.
    dtmf = f"1w1w20100#w1{accepted}8050#"
    with engine_process(settings) as proc:
        await wait_for_port(settings.fastagi.host, settings.fastagi.port)
        async with simulator(settings) as (sim, call_log, _ami):
            call = asyncio.create_task(sim.run(dtmf, caller_id=TWO_ZONE_PHONE))
            await wait_for_count(call_log, "readings.confirm", 2)
            proc.send_signal(signal.SIGKILL)
            transcript = await call

    assert transcript.contexts[-2:] == [CONTEXT_FALLBACK, CONTEXT_OPERATOR]
    # What the caller heard was accepted (once) is exactly what is stored; nothing else is.
    assert played(transcript).count(prompts.READING_ACCEPTED) == 1
    reported = [e["value"] for e in events(transcript, "reading")]
    assert reported == ["00445566/1=20100"]
    rows = await history(settings, TWO_ZONE)
    assert [(r.zone, r.value, r.superseded_by) for r in rows] == [(1, 20100, None)]
