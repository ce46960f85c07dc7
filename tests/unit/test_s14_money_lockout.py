"""The money factor across calls (issue 14, M1): wrong account digits or PINs are counted per
account and per caller ID in the store; after `accounts.money_lockout_failures` within
`accounts.money_lockout_minutes` a caller is no longer asked (the operator is offered), however
many calls they make, and parallel calls cannot race past the limit."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

import pytest

from hotline.dialplan.names import OperatorReason
from hotline.settings import load_settings
from hotline.store.accounts import AccountStore, ReadingStore
from hotline.store.db import Database
from ivr import prompts
from ivr.call import IvrCall
from ivr.dialog import Next, Outcome
from ivr.menu.model import Action
from ivr.self_service import SelfService
from tests.unit.test_disclosure_factor import MONEY, NUMBER, PHONE, PIN, Caller, record

START = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)
OTHER_PHONE = "79990001122"
WRONG_DIGITS = "00000002"
RIGHT_DIGITS = NUMBER[-8:]
LOCKED = Outcome(Next.OPERATOR, OperatorReason.NOT_IDENTIFIED)


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'h.db'}")
    await db.upgrade()
    await AccountStore(db).upsert([record(pin=PIN)])
    yield db
    await db.dispose()


async def balance(db: Database, caller: Caller, clock: Clock, mode: str = "account_digits") -> Any:
    settings = load_settings(environ={}, overrides={"accounts": {"money_disclosure": mode}})
    service = SelfService(settings, AccountStore(db), ReadingStore(db), clock=clock)
    return await service.run(cast(IvrCall, caller), Action.ACCOUNT_BALANCE)


def wrong_call(guesses: int = 3) -> Caller:
    """Confirms the account by caller ID, then types wrong digits."""
    return Caller(PHONE, keys=["1"], typed=[WRONG_DIGITS] * guesses)


def test_the_defaults_are_five_failures_in_an_hour() -> None:
    conf = load_settings(environ={}).accounts
    assert (conf.money_lockout_failures, conf.money_lockout_minutes) == (5, 60)


async def test_calling_again_and_again_is_stopped_after_five_wrong_answers(db: Database) -> None:
    clock = Clock()
    first = wrong_call()
    assert await balance(db, first, clock) == LOCKED
    assert first.heard.count(prompts.MONEY_DIGITS_ENTER_END) == 3
    second = wrong_call()
    assert await balance(db, second, clock) == LOCKED
    # Two more guesses reach five; the third ask of that call is never made.
    assert second.heard.count(prompts.MONEY_DIGITS_ENTER_END) == 2
    assert second.heard[-1] == prompts.MONEY_BY_OPERATOR
    # Locked: even the right digits are not asked for, let alone checked.
    third = Caller(PHONE, keys=["1"], typed=[RIGHT_DIGITS])
    assert await balance(db, third, clock) == LOCKED
    assert prompts.MONEY_DIGITS_ENTER_END not in third.heard
    assert third.heard == [*third.heard[:-1], prompts.MONEY_BY_OPERATOR]
    assert not MONEY & set(third.heard)
    # An hour later the account is asked again, and the right digits tell the balance.
    clock.now = START + timedelta(minutes=61)
    fourth = Caller(PHONE, keys=["1"], typed=[RIGHT_DIGITS])
    assert await balance(db, fourth, clock) == Outcome(Next.MENU)
    assert prompts.BALANCE_DEBT in fourth.heard


async def test_the_account_is_locked_for_other_numbers_too(db: Database) -> None:
    clock = Clock()
    await balance(db, wrong_call(guesses=3), clock)
    # The same account from a number it is not registered to: typed in full, then PINs.
    caller = Caller(OTHER_PHONE, keys=["1"], typed=[NUMBER, "1111", "2222", "3333"])
    assert await balance(db, caller, clock, mode="pin") == LOCKED
    assert caller.heard.count(prompts.MONEY_PIN_ENTER) == 2  # 3 + 2 = 5, then locked
    locked = Caller(None, keys=["1"], typed=[NUMBER, PIN])
    assert await balance(db, locked, clock, mode="pin") == LOCKED
    assert prompts.MONEY_PIN_ENTER not in locked.heard


async def test_a_caller_id_guessing_many_accounts_is_stopped(db: Database) -> None:
    clock = Clock()
    numbers = [f"1000000001{n:02d}" for n in range(3)]
    await AccountStore(db).upsert(
        [dataclasses.replace(record(pin=PIN), number=n, phones=()) for n in numbers]
    )
    heard_asks = 0
    for number in numbers:  # each account typed in full, then wrong PINs
        caller = Caller(OTHER_PHONE, keys=["1"], typed=[number, "1111", "2222", "3333"])
        assert await balance(db, caller, clock, mode="pin") == LOCKED
        heard_asks += caller.heard.count(prompts.MONEY_PIN_ENTER)
    assert heard_asks == 5  # the caller ID's counter, whatever account it tries


async def test_a_right_answer_forgets_the_wrong_ones(db: Database) -> None:
    clock = Clock()
    caller = Caller(PHONE, keys=["1"], typed=[WRONG_DIGITS, WRONG_DIGITS, RIGHT_DIGITS])
    assert await balance(db, caller, clock) == Outcome(Next.MENU)
    assert await balance(db, wrong_call(guesses=3), clock) == LOCKED
    # 3 counted since the right answer, not 5: still asked.
    again = Caller(PHONE, keys=["1"], typed=[RIGHT_DIGITS])
    assert await balance(db, again, clock) == Outcome(Next.MENU)


async def test_parallel_calls_check_no_more_than_the_limit(db: Database) -> None:
    clock = Clock()
    calls = [wrong_call(guesses=3) for _ in range(6)]
    await asyncio.gather(*(balance(db, call, clock) for call in calls))
    checked = sum(call.heard.count(prompts.MONEY_WRONG) for call in calls)
    assert checked <= 5
