"""Voicemail's logic (R-111, R-123) on a scripted call and a real SQLite register: the appeal
is committed before its number is said, the deadline follows the contact left, an empty
message registers nothing; and the Russian phrases for the number and the deadline."""

from __future__ import annotations

import wave
from datetime import UTC, date, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

from hotline.appeals.register import Appeals, Viewer
from hotline.appeals.said import deadline_phrase, number_phrase
from hotline.protocol.agi import RecordResult
from hotline.settings import Settings, load_settings
from hotline.speech.russian import Phrase
from hotline.store.accounts import AccountStore
from hotline.store.appeals import AppealFilter
from hotline.store.audit import Actor
from hotline.store.db import Database
from hotline.store.enums import AppealLinkKind, ReplyChannel
from ivr import prompts
from ivr.voicemail import Voicemail

# Fri 2026-05-08 12:00 in Krasnoyarsk (the default time zone is the settings').
FRIDAY = datetime(2026, 5, 8, 5, 0, tzinfo=UTC)
VIEWER = Viewer(Actor("t", "cli"), personal_data=True, trust=True)


class Agi:
    def __init__(self, caller: str | None, seconds: float, db: Database) -> None:
        self.env = SimpleNamespace(callerid=caller, uniqueid="u1")
        self.seconds = seconds
        self.db = db
        self.recorded: list[tuple[Any, ...]] = []

    async def record_file(self, filename: str, fmt: str, escape: str, **kw: Any) -> RecordResult:
        self.recorded.append((filename, fmt, escape, kw))
        with wave.open(f"{filename}.{fmt}", "wb") as out:
            out.setnchannels(1)
            out.setsampwidth(2)
            out.setframerate(8000)
            out.writeframes(b"\x10\x00" * int(8000 * self.seconds))
        return RecordResult("#", int(8000 * self.seconds), "dtmf")


class Call:
    """Plays nothing; the topic question gets ``topic_key``.  When the number is said, the
    appeal must already be in the store."""

    def __init__(self, agi: Agi, appeals: Appeals, topic_key: str) -> None:
        self.agi = agi
        self.appeals = appeals
        self.topic_key = topic_key
        self.account: str | None = None
        self.call_id = "c1"
        self.uniqueid = "u1"
        self.played: list[str] = []
        self.path: list[str] = []
        self.events: list[tuple[str, str]] = []
        self.stored_when_said: list[bool] = []

    async def enter(self, node: str) -> None:
        self.path.append(node)

    async def play(self, prompt_id: str, escape_digits: str = "") -> str | None:
        self.played.append(prompt_id)
        return self.topic_key if prompt_id == prompts.VOICEMAIL_TOPICS else None

    async def say(self, phrase: Phrase, escape_digits: str = "") -> str | None:
        self.played.append(phrase.text)
        stored = await self.appeals.list(AppealFilter(), VIEWER)
        self.stored_when_said.append(bool(stored))
        return None

    async def wait_digit(self, seconds: float) -> str | None:
        return None

    async def event(self, kind: str, value: str, detail: Any = None) -> None:
        self.events.append((kind, value))


def is_file(path: str) -> bool:
    return Path(path).is_file()


def make(tmp_path: Path) -> tuple[Settings, Database, Appeals]:
    settings = load_settings(
        overrides={"paths": {"recordings_dir": str(tmp_path / "rec")}}, environ={}
    )
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'h.db'}")
    return settings, db, Appeals(db, settings.appeals, settings.hours.timezone)


async def run(tmp_path: Path, caller: str | None, seconds: float, key: str = "3") -> Any:
    settings, db, appeals = make(tmp_path)
    await db.upgrade()
    agi = Agi(caller, seconds, db)
    call = Call(agi, appeals, key)
    voicemail = Voicemail(settings, AccountStore(db), appeals, clock=lambda: FRIDAY)
    number = await voicemail(cast(Any, call))
    found = await appeals.list(AppealFilter(), VIEWER)
    await db.dispose()
    return number, found, call, agi


async def test_a_message_becomes_an_appeal_before_its_number_is_said(tmp_path: Path) -> None:
    number, found, call, agi = await run(tmp_path, "79131234567", 3.0)
    assert [a.number for a in found] == [number] == ["2026-000001"]
    appeal = found[0]
    assert (appeal.topic, appeal.unit, appeal.reply_channel) == (
        "outages",
        "network",
        ReplyChannel.PHONE,
    )
    # 5 working days after Fri 8 May 2026: 12, 13, 14, 15, 18 May.
    assert appeal.deadline == date(2026, 5, 18)
    assert call.stored_when_said == [True, True]
    at = call.played.index(prompts.APPEAL_REGISTERED)
    assert call.played[at:] == [
        prompts.APPEAL_REGISTERED,
        "две тысячи двадцать шесть, ноль ноль ноль, ноль ноль один",
        prompts.APPEAL_DEADLINE,
        "восемнадцатого мая",
    ]
    # The limits are settings; # ends the message.
    _, fmt, escape, kw = agi.recorded[0]
    assert (fmt, escape, kw["timeout"], kw["silence"]) == ("wav", "#", 120, 5)
    assert kw["beep"] is True


async def test_the_recording_is_linked(tmp_path: Path) -> None:
    settings, db, appeals = make(tmp_path)
    await db.upgrade()
    call = Call(Agi("79131234567", 2.0, db), appeals, "1")
    number = await Voicemail(settings, AccountStore(db), appeals, clock=lambda: FRIDAY)(
        cast(Any, call)
    )
    assert number is not None
    appeal = await appeals.view(number, VIEWER)
    await db.dispose()
    assert appeal is not None and appeal.topic == "readings"
    links = dict(appeal.links)
    assert links[AppealLinkKind.CALL] == "c1"
    assert is_file(links[AppealLinkKind.RECORDING])
    assert links[AppealLinkKind.RECORDING].endswith("c1-voicemail.wav")
    assert call.events == [("appeal", number)]


async def test_without_a_caller_number_the_address_deadline(tmp_path: Path) -> None:
    _, found, _, _ = await run(tmp_path, None, 2.0)
    # only an address to answer to: 20 working days (12 May .. 8 June 2026; 12 June,
    # Russia Day, is after it).
    assert found[0].deadline == date(2026, 6, 8)
    assert found[0].reply_channel is ReplyChannel.POST


async def test_an_empty_message_registers_nothing(tmp_path: Path) -> None:
    number, found, call, _ = await run(tmp_path, "79131234567", 0.1)
    assert number is None and found == []
    assert call.played[-1] == prompts.VOICEMAIL_EMPTY


async def test_an_unknown_topic_key_falls_back_to_other(tmp_path: Path) -> None:
    _, found, call, _ = await run(tmp_path, "79131234567", 2.0, key="8")
    assert found[0].topic == "other"
    # ivr.max_rounds (3 by default) tries, then «Другое».
    assert call.played.count(prompts.INVALID) == 3


def test_phrases() -> None:
    assert number_phrase("2026-004217").text == (
        "две тысячи двадцать шесть, ноль ноль четыре, двести семнадцать"
    )
    assert deadline_phrase(date(2026, 12, 15), date(2026, 12, 3)).text == "пятнадцатого декабря"
    assert deadline_phrase(date(2027, 1, 15), date(2026, 12, 30)).text == (
        "пятнадцатого января две тысячи двадцать седьмого года"
    )
