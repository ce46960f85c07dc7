"""M1: caller ID (the carrier's From header, easy to spoof) alone never hears an account's
money.  Real calls through the sandbox Asterisk and the engine: a registered caller ID without
the second factor hears no balance and is offered the factor and the operator; with the
factor it hears the balance; meter readings still go through on caller ID and a confirmed
account (seeds 003, 004)."""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from hotline.app import Engine
from hotline.calls.simulator import Transcript
from hotline.dialplan.names import OperatorReason
from hotline.settings import Settings
from hotline.speech.library import PromptLibrary
from hotline.store.accounts import AccountRecord, AccountStore, MeterRecord, ReadingStore
from hotline.store.db import Database
from hotline.store.enums import CallOutcome
from ivr import prompts
from tests.e2e.engine_support import engine_settings, simulate

pytestmark = [pytest.mark.e2e, pytest.mark.short_prompts, pytest.mark.usefixtures("sandbox")]

ZONE = "Asia/Krasnoyarsk"
NUMBER = "100000000001"
PHONE = "79131234567"  # registered for NUMBER: what an attacker puts in From
PIN = "482193"
MONEY = frozenset(
    {
        prompts.BALANCE_DEBT,
        prompts.BALANCE_OVERPAYMENT,
        prompts.BALANCE_ZERO,
        prompts.BALANCE_DUE,
        prompts.BALANCE_LAST_PAYMENT,
        prompts.BALANCE_RECEIVED_ON,
    }
)
# After the flow: the operator key, pressed until a listening prompt takes it.
THEN_OPERATOR = "w0" * 30


def account() -> AccountRecord:
    month_ago = dt.date.today() - dt.timedelta(days=30)
    return AccountRecord(
        NUMBER, "Иванов Иван Иванович", "г. Красноярск, ул. Ленина, д. 1", ZONE,
        Decimal("1234.56"), dt.date.today() + dt.timedelta(days=20), Decimal("1500.00"),
        month_ago, 250, (PHONE,), (MeterRecord("00112233", 1, 6, (12345,), month_ago),),
        pin=PIN,
    )  # fmt: skip


@pytest.fixture
def settings(tmp_path: Path, request: pytest.FixtureRequest) -> Settings:
    mode = getattr(request, "param", None)
    if mode is None:  # the default: nothing overridden
        return engine_settings(tmp_path / "hotline.db")
    return engine_settings(tmp_path / "hotline.db", accounts={"money_disclosure": mode})


@pytest.fixture
async def seeded(settings: Settings) -> None:
    async with Database.from_settings(settings) as db:
        await db.upgrade()
        await AccountStore(db).upsert([account()])


def wait_out(settings: Settings, *prompt_ids: str, extra: float = 0.0) -> str:
    """Waits covering prompts that do not listen (keys pressed meanwhile would be lost)."""
    library = PromptLibrary(settings)
    seconds = sum(library.duration(p) for p in prompt_ids) + extra
    return "w" * math.ceil(seconds + 0.5)


def digits_factor(settings: Settings, typed: str) -> str:
    """Menu 2 (balance), 1 (the caller ID's account is mine), then the last digits, typed
    while money.digits.enter.end listens (after the intro and the spoken count)."""
    return "2w1" + wait_out(settings, prompts.MONEY_DIGITS_ENTER, extra=1.0) + typed + "#"


def played(transcript: Transcript) -> list[str]:
    return [Path(p).name for p in transcript.prompts]


def digit_events(transcript: Transcript) -> list[Any]:
    assert transcript.call_log is not None
    return [e["value"] for e in transcript.call_log["events"] if e["kind"] == "digits"]


@pytest.mark.usefixtures("seeded")
async def test_caller_id_alone_hears_no_money_and_is_offered_the_factor(
    engine: Engine, settings: Settings
) -> None:
    assert settings.accounts.money_disclosure == "account_digits"  # the default
    transcript = await simulate(settings, "2w1", caller_id=PHONE)
    names = played(transcript)
    assert not MONEY & set(names), names
    assert "balance.info" not in transcript.nodes
    assert prompts.MONEY_DIGITS_ENTER_END in names  # offered the factor (and 0)
    assert names.count(prompts.MONEY_DIGITS_ENTER_END) == settings.accounts.money_attempts
    assert transcript.outcome == CallOutcome.OPERATOR
    assert transcript.operator_reason == OperatorReason.NOT_IDENTIFIED


@pytest.mark.usefixtures("seeded")
async def test_wrong_digits_hear_no_money(engine: Engine, settings: Settings) -> None:
    transcript = await simulate(settings, digits_factor(settings, "99999999"), caller_id=PHONE)
    names = played(transcript)
    assert prompts.MONEY_WRONG in names
    assert not MONEY & set(names), names
    assert "99999999" not in digit_events(transcript)  # typed proof is not logged
    assert transcript.outcome == CallOutcome.OPERATOR


@pytest.mark.usefixtures("seeded")
async def test_the_last_digits_unlock_the_balance(engine: Engine, settings: Settings) -> None:
    dtmf = digits_factor(settings, NUMBER[-settings.accounts.money_digits :]) + THEN_OPERATOR
    transcript = await simulate(settings, dtmf, caller_id=PHONE)
    names = played(transcript)
    assert prompts.MONEY_WRONG not in names
    assert [n for n in names if n in MONEY] == [
        prompts.BALANCE_DEBT,
        prompts.BALANCE_DUE,
        prompts.BALANCE_LAST_PAYMENT,
        prompts.BALANCE_RECEIVED_ON,
    ]
    assert NUMBER[-8:] not in "".join(digit_events(transcript))


@pytest.mark.usefixtures("seeded")
@pytest.mark.parametrize("settings", ["pin"], indirect=True)
async def test_pin_mode_wants_the_pin_even_after_caller_id(
    engine: Engine, settings: Settings
) -> None:
    wrong = await simulate(settings, "2w1w1111#", caller_id=PHONE)
    assert prompts.MONEY_PIN_ENTER in played(wrong)
    assert not MONEY & set(played(wrong))
    right = await simulate(settings, f"2w1w{PIN}#" + THEN_OPERATOR, caller_id=PHONE)
    assert prompts.BALANCE_DEBT in played(right)
    assert PIN not in "".join(digit_events(right))


@pytest.mark.usefixtures("seeded")
async def test_readings_still_go_through_on_caller_id_and_confirmation(
    engine: Engine, settings: Settings
) -> None:
    transcript = await simulate(settings, "1w1w12400#w1" + THEN_OPERATOR, caller_id=PHONE)
    names = played(transcript)
    assert prompts.ACCOUNT_ENDS_WITH in names
    assert not {prompts.MONEY_DIGITS_ENTER, prompts.MONEY_PIN_ENTER} & set(names)
    async with Database.from_settings(settings) as db:
        rows = await ReadingStore(db).history(NUMBER)
    assert [(r.value, r.consumption) for r in rows] == [(12400, 55)]
