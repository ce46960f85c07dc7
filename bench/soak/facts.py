"""From what the soak recorded and what the store holds to the auditor's inputs."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections import Counter
from pathlib import Path
from typing import Final

from sqlalchemy import select

from bench.soak.audit import (
    Attempt,
    CallRow,
    CallTiming,
    Cdr,
    Cel,
    IndexRow,
    RecordingFile,
    StoredReading,
)
from bench.soak.load import Seen
from hotline.dialplan.names import CONTEXT_INBOUND
from hotline.store.db import Database
from hotline.store.models import AuditEntry, Call, DialAttempt, Reading, Recording

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


# cdr_csv's columns (cdr.conf: loguniqueid = yes, no user field, no new columns).
CDR_DST: Final = 2
CDR_CHANNEL: Final = 5
CDR_START: Final = 9
CDR_END: Final = 11
CDR_DISPOSITION: Final = 14
CDR_UNIQUEID: Final = 16


def _epoch(text: str) -> float:
    """A CSV time: seconds since the epoch, or cdr_csv's "YYYY-MM-DD HH:MM:SS" in UTC."""
    try:
        return float(text)
    except ValueError:
        stamp = dt.datetime.strptime(text, "%Y-%m-%d %H:%M:%S")
        return stamp.replace(tzinfo=dt.UTC).timestamp()


def parse_cdrs(text: str) -> list[Cdr]:
    """Asterisk's CDR Master.csv (a row cut short by a kill is skipped)."""
    found = []
    for row in csv.reader(io.StringIO(text)):
        if len(row) <= CDR_UNIQUEID or not row[CDR_START]:
            continue
        found.append(
            Cdr(
                row[CDR_UNIQUEID],
                row[CDR_CHANNEL],
                row[CDR_DST],
                _epoch(row[CDR_START]),
                row[CDR_DISPOSITION],
                _epoch(row[CDR_END]) if row[CDR_END] else 0.0,
            )
        )
    return found


CEL_COLUMNS: Final = 8  # cel_custom.conf: event, time, context, exten, channel, app, ids


def parse_cels(text: str) -> list[Cel]:
    found = []
    for row in csv.reader(io.StringIO(text)):
        if len(row) < CEL_COLUMNS or not row[1]:
            continue
        event, at, context, exten, channel, _app, uniqueid, _linkedid = row[:CEL_COLUMNS]
        found.append(Cel(event, _epoch(at), context, exten, channel, uniqueid))
    return found


def recording_files(folder: Path, skip: frozenset[str]) -> list[RecordingFile]:
    """Every file under the recordings folder but ``skip`` (the disk-full fault's filler)."""
    return [
        RecordingFile(str(path), path.stat().st_size)
        for path in sorted(folder.rglob("*"))
        if path.is_file() and path.name not in skip
    ]


async def index_rows(db: Database) -> list[IndexRow]:
    async with db.session() as session:
        rows = await session.execute(
            select(Recording.path, Recording.started_at, Recording.purged_at)
        )
        return [
            IndexRow(path, started.timestamp(), purged is not None)
            for path, started, purged in rows
        ]


async def audit_ids(db: Database) -> list[int]:
    async with db.session() as session:
        return list(await session.scalars(select(AuditEntry.id)))


async def attempts(db: Database) -> list[Attempt]:
    async with db.session() as session:
        rows = await session.execute(select(DialAttempt.id, DialAttempt.phone))
        return [Attempt(attempt_id, phone) for attempt_id, phone in rows]
