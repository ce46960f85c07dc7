"""Identification's failure paths with a scripted caller (the e2e tests cover the happy
paths through Asterisk), and the reading rules: window, period, plausibility."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import pytest

from hotline.accounts.reading_rules import decide_billing_period, plausibility_limit
from hotline.dialplan.names import OperatorReason
from hotline.settings import Settings, load_settings, window_days
from hotline.speech.russian import Phrase
from hotline.store.accounts import AccountRecord, AccountStore, MeterRecord
from hotline.store.db import Database
from ivr import prompts
from ivr.call import IvrCall
from ivr.dialog import Next, Outcome
from ivr.identify import identify

ONE = "100000000001"
TWO = "100000000002"
PHONE = "79131234567"


@dataclass
class ScriptedCaller:
    """Answers GET DATA from ``typed`` and one-key questions from ``keys``, in order."""

    callerid: str | None
    typed: list[str] = field(default_factory=list)
    keys: list[str | None] = field(default_factory=list)
    heard: list[str] = field(default_factory=list)
    account: str | None = None
    identified_as: list[tuple[str, str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.agi = SimpleNamespace(env=SimpleNamespace(callerid=self.callerid))

    async def enter(self, node: str) -> None:
        pass

    async def play(self, prompt_id: str, escape_digits: str = "") -> str | None:
        self.heard.append(prompt_id)
        return None

    async def say(self, phrase: Phrase, escape_digits: str = "") -> str | None:
        self.heard.append(phrase.text)
        return None

    async def wait_digit(self, seconds: float) -> str | None:
        return self.keys.pop(0) if self.keys else None

    async def ask(self, prompt_id: str, wait_seconds: float, max_digits: int) -> str:
        self.heard.append(prompt_id)
        return self.typed.pop(0) if self.typed else ""

    async def identified(self, account: str, how: str) -> None:
        self.account = account
        self.identified_as.append((account, how))


def account(number: str) -> AccountRecord:
    return AccountRecord(
        number, "", "", "Asia/Krasnoyarsk", Decimal(0), None, None, None, None,
        (PHONE,), (MeterRecord("M1", 1, 6, (1,), None),),
    )  # fmt: skip


@pytest.fixture
async def accounts(tmp_path: Path) -> AsyncIterator[AccountStore]:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'h.db'}")
    await db.upgrade()
    store = AccountStore(db)
    await store.upsert([account(ONE)])
    yield store
    await db.dispose()


@pytest.fixture
def settings() -> Settings:
    return load_settings(environ={})


async def run(caller: ScriptedCaller, accounts: AccountStore, settings: Settings) -> Any:
    return await identify(cast(IvrCall, caller), accounts, settings)


async def test_caller_id_confirmed_identifies(accounts: AccountStore, settings: Settings) -> None:
    caller = ScriptedCaller(PHONE, keys=["1"])
    found = await run(caller, accounts, settings)
    assert isinstance(found, AccountRecord) and found.number == ONE
    assert caller.identified_as == [(ONE, "caller_id")]
    assert prompts.ACCOUNT_ENTER not in caller.heard


async def test_three_failures_reach_the_operator(
    accounts: AccountStore, settings: Settings
) -> None:
    # Too short, unknown (confirmed), silence: three failures.
    caller = ScriptedCaller(None, typed=["123#", "999999999999", ""], keys=["1"])
    outcome = await run(caller, accounts, settings)
    assert outcome == Outcome(Next.OPERATOR, OperatorReason.NOT_IDENTIFIED, announce=False)
    assert prompts.ACCOUNT_WRONG_LENGTH in caller.heard
    assert prompts.ACCOUNT_NOT_FOUND in caller.heard
    assert caller.heard[-1] == prompts.TOO_MANY_ATTEMPTS
    assert caller.identified_as == []


async def test_a_phone_with_two_accounts_offers_a_choice(
    accounts: AccountStore, settings: Settings
) -> None:
    await accounts.upsert([account(ONE), account(TWO)])
    caller = ScriptedCaller(PHONE, keys=["2"])
    found = await run(caller, accounts, settings)
    assert isinstance(found, AccountRecord) and found.number == TWO
    assert caller.identified_as == [(TWO, "caller_id_choice")]
    assert caller.heard.count(prompts.ACCOUNT_CHOOSE) == 2
    # Silence at the choice: the caller types the number instead.
    caller = ScriptedCaller(PHONE, typed=[ONE], keys=[None, "1"])
    found = await run(caller, accounts, settings)
    assert isinstance(found, AccountRecord) and caller.identified_as == [(ONE, "typed")]


async def test_reentry_then_typed(accounts: AccountStore, settings: Settings) -> None:
    await accounts.upsert([account(ONE), account(TWO)])
    caller = ScriptedCaller(None, typed=[ONE, TWO], keys=["2", "1"])
    found = await run(caller, accounts, settings)
    assert isinstance(found, AccountRecord) and found.number == TWO
    assert caller.identified_as == [(TWO, "typed")]
    assert prompts.ACCOUNT_ENDS_WITH not in caller.heard


async def test_zero_reaches_the_operator(accounts: AccountStore, settings: Settings) -> None:
    caller = ScriptedCaller(None, typed=["0"])
    outcome = await run(caller, accounts, settings)
    assert outcome == Outcome(Next.OPERATOR, OperatorReason.MENU)


async def test_an_identified_caller_is_not_asked_again(
    accounts: AccountStore, settings: Settings
) -> None:
    caller = ScriptedCaller(None)
    caller.account = ONE
    found = await run(caller, accounts, settings)
    assert isinstance(found, AccountRecord) and caller.heard == []


@pytest.mark.parametrize(
    ("day", "policy", "expected"),
    [
        (dt.date(2026, 11, 24), "refuse", ("2026-11", True, True, ())),
        (dt.date(2026, 11, 10), "refuse", ("2026-11", False, False, ())),
        (dt.date(2026, 11, 10), "next_period", ("2026-11", False, True, ("next_period",))),
        (dt.date(2026, 12, 28), "next_period", ("2027-01", False, True, ("next_period",))),
    ],
)
def test_window_and_period(day: dt.date, policy: Any, expected: tuple[Any, ...]) -> None:
    decision = decide_billing_period(day, window_days("23-26"), policy)
    assert (decision.period, decision.in_window, decision.accepted, decision.flags) == expected


def test_every_day_by_default() -> None:
    assert window_days("") == (1, 31)
    assert decide_billing_period(dt.date(2026, 2, 28), (1, 31), "refuse").in_window
    for bad in ("26-23", "0-5", "x", "1-32"):
        with pytest.raises(ValueError):
            window_days(bad)


def test_plausibility_limit_scales_with_months_and_caps() -> None:
    today = dt.date(2026, 11, 24)
    assert plausibility_limit(250, today - dt.timedelta(days=10), today, 3.0, 5000) == 750
    assert plausibility_limit(250, today - dt.timedelta(days=91), today, 3.0, 5000) > 2200
    assert plausibility_limit(2000, None, today, 3.0, 5000) == 5000
    assert plausibility_limit(None, None, today, 3.0, 5000) == 5000


async def test_screen_pop_contract_events_and_channel_variables() -> None:
    """Issue 7's operator screen reads these: event kinds and HOTLINE_ACCOUNT/READING."""
    variables: list[tuple[str, str]] = []
    logged: list[tuple[str, str, Any]] = []

    class Agi:
        env = SimpleNamespace(uniqueid="u1", callerid=None)

        async def set_variable(self, name: str, value: str) -> None:
            variables.append((name, value))

    class Log:
        async def add_event(self, uniqueid: str, kind: str, value: str, detail: Any) -> None:
            logged.append((kind, value, detail))

        record = add_event  # the IVR's immediate events (CallLog.record)

    call = IvrCall(cast(Any, Agi()), cast(Any, Log()), cast(Any, None), cast(Any, None))
    await call.identified(ONE, "typed")
    detail = {"meter": "M1", "zone": 2, "value": 8050, "previous": 8000, "consumption": 50}
    await call.reading_committed("M1/2=8050", {**detail, "flags": []})
    assert variables == [("HOTLINE_ACCOUNT", ONE), ("HOTLINE_READING", "M1/2=8050")]
    assert [(k, v) for k, v, _ in logged] == [("account", ONE), ("reading", "M1/2=8050")]
    assert call.account == ONE


async def test_two_meters_three_zones_and_exhausted_attempts(
    tmp_path: Path, settings: Settings
) -> None:
    from hotline.store.accounts import ReadingStore
    from ivr.readings import take_readings

    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'r.db'}")
    await db.upgrade()
    meters = (MeterRecord("A", 1, 5, (100,), None), MeterRecord("B", 3, 6, (10, 20, 30), None))
    acc = AccountRecord(
        ONE, "", "", "Asia/Krasnoyarsk", Decimal(0), None, None, None, None, (), meters
    )
    await AccountStore(db).upsert([acc])
    store = ReadingStore(db)
    committed: list[str] = []

    class Caller(ScriptedCaller):
        call_id = "c1"

        async def reading_committed(self, label: str, detail: Any) -> None:
            committed.append(label)

    now = dt.datetime(2026, 11, 24, 3, tzinfo=dt.UTC)
    caller = Caller(None, typed=["150", "11", "21", "31"], keys=["1"] * 4)
    outcome = await take_readings(cast(IvrCall, caller), acc, store, settings, lambda: now)
    assert outcome == Outcome(Next.GOODBYE)
    assert committed == ["A/1=150", "B/1=11", "B/2=21", "B/3=31"]
    assert caller.heard.count(prompts.READINGS_METER) == 2
    assert [p for p in caller.heard if p.startswith("readings.zone.")] == [
        prompts.ZONE_SINGLE,
        prompts.ZONE_DAY,
        prompts.ZONE_NIGHT,
        prompts.ZONE_PEAK,
    ]

    # Too many digits, silence, a wrong key at the read-back: three failures, the operator.
    caller = Caller(None, typed=["123456", "", "160"], keys=["7"])
    outcome = await take_readings(cast(IvrCall, caller), acc, store, settings, lambda: now)
    assert outcome == Outcome(Next.OPERATOR, OperatorReason.NO_INPUT, announce=False)
    assert prompts.READING_TOO_MANY_DIGITS in caller.heard
    assert caller.heard[-1] == prompts.TOO_MANY_ATTEMPTS
    assert len(await store.history(ONE)) == 4
    await db.dispose()
