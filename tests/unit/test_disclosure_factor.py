"""Who may hear money by phone (issue 14, M1): the decision, and the balance action with a
scripted caller.  Caller ID alone (spoofable) never hears money unless money_disclosure is
"none"; readings are not affected (tests/e2e/test_readings_calls.py, tests/security)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import pytest

from hotline.dialplan.names import OperatorReason
from hotline.settings import Settings, load_settings
from hotline.speech.russian import Phrase
from hotline.store.accounts import AccountRecord, AccountStore, MeterRecord, ReadingStore
from hotline.store.db import Database
from ivr import prompts
from ivr.call import IvrCall
from ivr.dialog import Next, Outcome
from ivr.disclosure import Factor, factor_needed
from ivr.menu.model import Action
from ivr.self_service import SelfService

NUMBER = "100000000001"
PHONE = "79131234567"
PIN = "4821"
MONEY = {prompts.BALANCE_DEBT, prompts.BALANCE_DUE, prompts.BALANCE_LAST_PAYMENT}


@pytest.mark.parametrize(
    ("mode", "identified_by", "verified", "needed"),
    [
        ("none", "caller_id", False, None),
        ("none", "typed", False, None),
        ("account_digits", "caller_id", False, Factor.ACCOUNT_DIGITS),
        ("account_digits", "caller_id_choice", False, Factor.ACCOUNT_DIGITS),
        ("account_digits", "typed", False, None),
        ("account_digits", "caller_id", True, None),
        ("pin", "caller_id", False, Factor.PIN),
        ("pin", "typed", False, Factor.PIN),  # the number is printed on every bill
        ("pin", "typed", True, None),
    ],
)
def test_which_factor_is_needed(
    mode: str, identified_by: str, verified: bool, needed: Factor | None
) -> None:
    assert factor_needed(mode, identified_by, verified) == needed


def test_an_unknown_mode_is_refused() -> None:
    with pytest.raises(ValueError):
        factor_needed("caller_id", "caller_id", False)


def test_the_default_asks_a_caller_id_for_account_digits() -> None:
    conf = load_settings(environ={}).accounts
    assert conf.money_disclosure == "account_digits"
    assert conf.money_digits >= 8  # more than the 4 the IVR reads out


@dataclass
class Caller:
    """Answers one-key questions from ``keys`` and GET DATA from ``typed``, in order."""

    callerid: str | None
    keys: list[str | None] = field(default_factory=list)
    typed: list[str] = field(default_factory=list)
    heard: list[str] = field(default_factory=list)
    secret_asks: list[str] = field(default_factory=list)
    account: str | None = None
    identified_by: str | None = None
    money_verified: bool = False

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

    async def ask(
        self, prompt_id: str, wait_seconds: float, max_digits: int, *, secret: bool = False
    ) -> str:
        self.heard.append(prompt_id)
        if secret:
            self.secret_asks.append(prompt_id)
        return self.typed.pop(0) if self.typed else ""

    async def identified(self, account: str, how: str) -> None:
        self.account, self.identified_by, self.money_verified = account, how, False


def record(pin: str | None = None) -> AccountRecord:
    return AccountRecord(
        NUMBER, "", "", "Asia/Krasnoyarsk", Decimal("1234.56"), None, Decimal(100), None,
        None, (PHONE,), (MeterRecord("M1", 1, 6, (1,), None),), pin=pin,
    )  # fmt: skip


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'h.db'}")
    await db.upgrade()
    yield db
    await db.dispose()


async def balance(db: Database, caller: Caller, mode: str) -> Any:
    settings: Settings = load_settings(
        environ={}, overrides={"accounts": {"money_disclosure": mode}}
    )
    service = SelfService(settings, AccountStore(db), ReadingStore(db))
    return await service.run(cast(IvrCall, caller), Action.ACCOUNT_BALANCE)


async def test_caller_id_without_the_digits_hears_no_money(db: Database) -> None:
    await AccountStore(db).upsert([record()])
    # Confirms the account by caller ID, then types wrong digits three times.
    caller = Caller(PHONE, keys=["1"], typed=["00000002", "1", ""])
    outcome = await balance(db, caller, "account_digits")
    assert outcome == Outcome(Next.OPERATOR, OperatorReason.NOT_IDENTIFIED)
    assert not MONEY & set(caller.heard)
    assert caller.heard.count(prompts.MONEY_DIGITS_ENTER_END) == 3
    assert caller.heard[-1] == prompts.MONEY_BY_OPERATOR
    assert caller.secret_asks  # the typed digits are not logged


async def test_the_operator_key_at_the_factor_reaches_the_operator(db: Database) -> None:
    await AccountStore(db).upsert([record()])
    caller = Caller(PHONE, keys=["1"], typed=["0"])
    outcome = await balance(db, caller, "account_digits")
    assert outcome == Outcome(Next.OPERATOR, OperatorReason.MENU)
    assert not MONEY & set(caller.heard)


async def test_caller_id_with_the_last_digits_hears_the_balance(db: Database) -> None:
    await AccountStore(db).upsert([record()])
    caller = Caller(PHONE, keys=["1"], typed=["1", NUMBER[-8:]])
    outcome = await balance(db, caller, "account_digits")
    assert outcome == Outcome(Next.MENU)
    assert prompts.MONEY_WRONG in caller.heard
    assert prompts.BALANCE_DEBT in caller.heard and caller.money_verified


async def test_a_typed_account_number_needs_no_more_digits(db: Database) -> None:
    await AccountStore(db).upsert([record()])
    caller = Caller(None, keys=["1"], typed=[NUMBER])
    assert await balance(db, caller, "account_digits") == Outcome(Next.MENU)
    assert prompts.MONEY_DIGITS_ENTER not in caller.heard
    assert prompts.BALANCE_DEBT in caller.heard


async def test_none_lets_caller_id_hear_the_balance(db: Database) -> None:
    await AccountStore(db).upsert([record()])
    caller = Caller(PHONE, keys=["1"])
    assert await balance(db, caller, "none") == Outcome(Next.MENU)
    assert prompts.BALANCE_DEBT in caller.heard


async def test_pin_mode_asks_every_caller_for_the_pin(db: Database) -> None:
    await AccountStore(db).upsert([record(pin=PIN)])
    # Typed number, wrong PIN, right PIN.
    caller = Caller(None, keys=["1"], typed=[NUMBER, "1111", PIN])
    assert await balance(db, caller, "pin") == Outcome(Next.MENU)
    assert caller.secret_asks == [prompts.MONEY_PIN_ENTER] * 2
    assert prompts.BALANCE_DEBT in caller.heard
    # Wrong PINs only: no money, the operator.
    caller = Caller(PHONE, keys=["1"], typed=["1111", "2222", "3333"])
    assert await balance(db, caller, "pin") == Outcome(
        Next.OPERATOR, OperatorReason.NOT_IDENTIFIED
    )
    assert not MONEY & set(caller.heard)


async def test_pin_mode_without_a_pin_sends_to_the_operator(db: Database) -> None:
    await AccountStore(db).upsert([record()])
    caller = Caller(PHONE, keys=["1"], typed=[PIN])
    outcome = await balance(db, caller, "pin")
    assert outcome == Outcome(Next.OPERATOR, OperatorReason.NOT_IDENTIFIED)
    assert prompts.MONEY_PIN_MISSING in caller.heard
    assert not MONEY & set(caller.heard)


async def test_readings_are_not_asked_for_a_factor(db: Database) -> None:
    await AccountStore(db).upsert([record()])
    settings = load_settings(environ={}, overrides={"accounts": {"money_disclosure": "pin"}})
    service = SelfService(settings, AccountStore(db), ReadingStore(db))
    caller = Caller(PHONE, keys=["1"])
    await service.run(cast(IvrCall, caller), Action.METER_READINGS)
    assert caller.identified_by == "caller_id"
    assert not {prompts.MONEY_PIN_ENTER, prompts.MONEY_DIGITS_ENTER} & set(caller.heard)
