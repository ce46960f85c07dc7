"""R-097, R-032: a caller who types their account (caller ID unknown) hears the current outage
at its address right after identification, once, and may still reach the dispatcher."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast
from zoneinfo import ZoneInfo

import pytest

from hotline.contact_center.outages import CallerOutage
from hotline.dialplan.names import OperatorReason
from hotline.settings import load_settings
from hotline.speech.library import PromptLibrary, Sound
from hotline.store.accounts import AccountStore, ReadingStore
from hotline.store.db import Database
from hotline.store.enums import EventKind
from hotline.store.outages import OutageRecord
from ivr import prompts
from ivr.call import IvrCall
from ivr.dialog import Next, Outcome
from ivr.menu.model import Action
from ivr.self_service import SelfService
from tests.unit.test_disclosure_factor import NUMBER, Caller, record


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'h.db'}")
    await db.upgrade()
    yield db
    await db.dispose()


RESTORE = datetime(2026, 12, 3, 11, 30, tzinfo=UTC)  # 18:30 in Krasnoyarsk
OUTAGE = OutageRecord(1, "Гроза", RESTORE, (), (NUMBER,), RESTORE, "dima")


@dataclass
class TypingCaller(Caller):
    outage_heard: bool = False
    events: list[tuple[str, str]] = field(default_factory=list)

    async def event(self, kind: EventKind, value: str, detail: Any = None) -> None:
        self.events.append((kind, value))

    async def play_sound(self, label: str, path: str, escape_digits: str = "") -> str | None:
        self.heard.append(label)
        return None


class Library:
    async def speak(self, text: str) -> Sound:
        return Sound("/tmp/cause", 1.0)


async def run(db: Database, caller: TypingCaller) -> Outcome:
    await AccountStore(db).upsert([record()])

    async def outages(number: str) -> CallerOutage | None:
        return CallerOutage(number, OUTAGE, ZoneInfo("Asia/Krasnoyarsk"))

    settings = load_settings(environ={}, overrides={"accounts": {"money_disclosure": "none"}})
    service = SelfService(
        settings,
        AccountStore(db),
        ReadingStore(db),
        outages=outages,
        library=cast(PromptLibrary, Library()),
    )
    outcome = await service.run(cast(IvrCall, caller), Action.ACCOUNT_BALANCE)
    return outcome


async def test_typed_caller_hears_the_outage_and_asks_for_the_dispatcher(db: Database) -> None:
    # Types the account, confirms with 1, then presses 1 after the announcement.
    caller = TypingCaller(None, keys=["1", "1"], typed=[NUMBER])
    outcome = await run(db, caller)
    assert outcome == Outcome(Next.OPERATOR, OperatorReason.OUTAGE, queue="dispatcher")
    assert caller.events == [(EventKind.OUTAGE_HEARD, "1")]
    start = caller.heard.index(prompts.OUTAGE_INTRO)
    assert caller.heard[start:] == [
        prompts.OUTAGE_INTRO,
        "outage.cause",
        prompts.OUTAGE_RESTORE,
        "третьего декабря, восемнадцать часов тридцать минут",
        prompts.OUTAGE_DISPATCHER,
    ]
    assert caller.outage_heard


async def test_without_the_key_the_action_goes_on(db: Database) -> None:
    caller = TypingCaller(None, keys=["1"], typed=[NUMBER])
    outcome = await run(db, caller)
    assert outcome.next is not Next.OPERATOR
    assert caller.events == [(EventKind.OUTAGE_HEARD, "1")]
    assert caller.heard.index(prompts.OUTAGE_DISPATCHER) < len(caller.heard) - 1  # then balance


async def test_heard_once_per_call(db: Database) -> None:
    caller = TypingCaller(None, keys=["1"], typed=[NUMBER], outage_heard=True)
    await run(db, caller)
    assert caller.events == []
    assert prompts.OUTAGE_INTRO not in caller.heard
