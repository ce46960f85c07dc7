"""From what the soak recorded and what the store holds to the auditor's inputs."""

from __future__ import annotations

from collections import Counter
from typing import Final

from sqlalchemy import select

from bench.soak.audit import CallRow, CallTiming, StoredReading
from bench.soak.load import Seen
from hotline.dialplan.names import CONTEXT_INBOUND
from hotline.store.db import Database
from hotline.store.models import Call, DialAttempt, Reading

AUDIO_COMMANDS: Final = (
    "STREAM FILE",
    "CONTROL STREAM FILE",
    "GET DATA",
    "GET OPTION",
    "EXEC PLAYBACK",
    "EXEC BACKGROUND",
)
AUDIO_APPS: Final = frozenset(
    {"Playback", "Background", "Queue", "MusicOnHold", "Read", "ControlPlayback"}
)
AUDIO_EVENTS: Final = frozenset({"MusicOnHoldStart", "QueueCallerJoin"})


def _is_audio(seen: Seen) -> bool:
    if seen.name in AUDIO_EVENTS:
        return True
    if seen.name == "AGIExecStart":
        return seen.detail.upper().startswith(AUDIO_COMMANDS)
    return seen.name == "Newexten" and seen.detail in AUDIO_APPS


def call_timings(events: list[Seen]) -> list[CallTiming]:
    """Each channel that entered the inbound context: when it was answered (its state went
    Up, or Answer() ran), when it first heard something, when it hung up."""
    inbound = {e.uniqueid for e in events if e.name == "Newexten" and e.context == CONTEXT_INBOUND}
    answered: dict[str, float] = {}
    audio: dict[str, float] = {}
    hung_up: dict[str, float] = {}
    for e in sorted(events, key=lambda e: e.at):
        if e.uniqueid not in inbound:
            continue
        if (e.name == "Newstate" and e.detail == "Up") or (
            e.name == "Newexten" and e.detail == "Answer"
        ):
            answered.setdefault(e.uniqueid, e.at)
        elif _is_audio(e) and e.uniqueid in answered:
            audio.setdefault(e.uniqueid, e.at)
        elif e.name == "Hangup":
            hung_up.setdefault(e.uniqueid, e.at)
    return [CallTiming(uid, at, audio.get(uid), hung_up.get(uid)) for uid, at in answered.items()]


def dials(events: list[Seen], carrier_context: str) -> Counter[str]:
    """Asterisk's own count of calls placed to each number on the simulated carrier."""
    return Counter(
        "+" + e.exten
        for e in events
        if e.name == "Newchannel" and e.context == carrier_context and e.channel.endswith(";2")
    )


async def stored_readings(db: Database) -> list[StoredReading]:
    async with db.session() as session:
        rows = await session.execute(
            select(Reading.account_number, Reading.value, Call.uniqueid).outerjoin(
                Call, Call.id == Reading.call_id
            )
        )
        return [StoredReading(a, int(v), u) for a, v, u in rows]


async def call_rows(db: Database) -> list[CallRow]:
    async with db.session() as session:
        rows = await session.execute(select(Call.uniqueid, Call.ended_at))
        return [CallRow(u, ended is not None) for u, ended in rows]


async def attempts_by_phone(db: Database) -> Counter[str]:
    async with db.session() as session:
        rows = await session.execute(select(DialAttempt.phone))
        return Counter(phone for (phone,) in rows)
