"""A labelled synthetic day of traffic for the demo's console (issue 18 item 4).

After its scenes `make demo` writes the last 24 hours of a small hotline through the same
store code the engine uses: calls through the menu (readings, balance, information, outage
reports, the operator, hang-ups), the operator queue with simulated operators answering and
callers abandoning, meter readings, recordings of the answered calls, and a finished campaign
with an attempt of every reason.  Every call is marked simulated (a test call: the console's
figures count it only with «включая тестовые звонки»), every operator simulated, every name
starts with ``synthetic`` or ``demo-history``; the generator is deterministic for a seed and
a moment.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import tempfile
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Final
from zoneinfo import ZoneInfo

from dialer.contacts import read_contacts
from dialer.model import (
    AttemptStatus,
    CampaignKind,
    CampaignRules,
    Reason,
    Result,
    SayKind,
    Scenario,
    Step,
)
from dialer.repository import DialerStore
from dialer.repository.records import TargetRecord
from hotline.accounts.importer import parse_accounts
from hotline.contact_center import operators as ops
from hotline.contact_center.departments import departments
from hotline.contact_center.recordings import recordings_root
from hotline.settings import Settings
from hotline.store.accounts import AccountRecord, AccountStore, ReadingDraft, ReadingStore
from hotline.store.callbacks import CallbackStore
from hotline.store.calllog import CallLog
from hotline.store.db import Database
from hotline.store.enums import CallDirection, CallOutcome, EventKind, QueueEventKind
from hotline.store.event_writer import EventWriter
from hotline.store.models.transfers import TransferKind, TransferTarget
from hotline.store.operators import Operators
from hotline.store.queue_events import QueueEventRecord, QueueEvents
from hotline.store.recordings import Recordings
from hotline.store.transfers import Transfers

LABEL: Final = "synthetic"
AUTHOR: Final = "demo-history"
SEED: Final = 18
CALLS: Final = 160
OPERATORS: Final = ("demo.ivanova", "demo.petrov", "demo.sidorova")
# Calls per local hour of the day, relative: nights quiet, the morning peak, evening calm.
HOURLY: Final = (1, 1, 1, 1, 1, 2, 3, 6, 10, 12, 11, 10, 8, 9, 10, 9, 8, 7, 5, 4, 3, 2, 2, 1)
# What a caller does, and how often (of 100): menu path, outcome, operator reason, department.
WALKS: Final = (
    (20, ("main", "readings"), CallOutcome.COMPLETED, None, None),
    (5, ("main", "readings"), CallOutcome.OPERATOR, "readings", ""),
    (15, ("main", "balance"), CallOutcome.COMPLETED, None, None),
    (5, ("main", "balance"), CallOutcome.OPERATOR, "balance", ""),
    (8, ("main", "info", "info.tariffs"), CallOutcome.COMPLETED, None, None),
    (5, ("main", "info", "info.payment_ways"), CallOutcome.COMPLETED, None, None),
    (8, ("main", "outages", "outages.report"), CallOutcome.OPERATOR, "outage", "dispatcher"),
    (24, ("main", "operator"), CallOutcome.OPERATOR, "menu", ""),
    (10, ("main",), CallOutcome.ABANDONED, None, None),
)
# Of the calls that reach a queue: how many the operators answer.
ANSWERED_SHARE: Final = 0.85
# Of those not answered: how many leave a callback request (and of those, how many are done).
CALLBACK_SHARE: Final = 0.5
# Every reason an attempt can end with, and its result.
ATTEMPT_ENDS: Final = (
    (Result.POSITIVE, Reason.DELIVERED),
    (Result.POSITIVE, Reason.CONFIRMED),
    (Result.POSITIVE, Reason.ANSWERED),
    (Result.NEGATIVE, Reason.NO_ANSWER),
    (Result.NEGATIVE, Reason.BUSY),
    (Result.NEGATIVE, Reason.INVALID_NUMBER),
    (Result.NEGATIVE, Reason.FAILED),
    (Result.NEGATIVE, Reason.HUNG_UP_EARLY),
    (Result.NEGATIVE, Reason.NO_CONFIRMATION),
    (Result.NEGATIVE, Reason.TRANSFERRED),
    (Result.NEGATIVE, Reason.UNKNOWN),
)
SAMPLE_ACCOUNTS: Final = Path(__file__).resolve().parents[2] / "samples" / "accounts.csv"


# Answered calls talked longer than this (seconds) were transferred (the demo's transfer KPIs).
TRANSFER_AFTER_TALK = 390


@dataclass(frozen=True)
class History:
    """What was written."""

    calls: int
    queued: int
    answered: int
    abandoned: int
    readings: int
    recordings: int
    callbacks: int
    campaign: str
    attempts: int


@dataclass
class _Run:
    """One history being written: where to, its random source, and what it wrote so far.
    Call events go through the engine's batching writer (one transaction per batch)."""

    db: Database
    settings: Settings
    rng: random.Random
    events: EventWriter
    calls: int = 0
    queued: int = 0
    answered: int = 0
    abandoned: int = 0
    readings: int = 0
    recordings: int = 0
    callbacks: int = 0


def _starts(
    rng: random.Random, now: datetime, zone_offset: timedelta, count: int
) -> list[datetime]:
    """``count`` call starts in the last 24 hours (ending 3 minutes ago), by the daily profile."""
    first = now - timedelta(hours=24)
    hours = [first + timedelta(hours=h) for h in range(24)]
    weights = [HOURLY[(at + zone_offset).hour] for at in hours]
    starts = []
    for hour in rng.choices(hours, weights, k=count):
        start = hour + timedelta(seconds=rng.uniform(0, 3600))
        starts.append(min(start, now - timedelta(minutes=3, seconds=rng.uniform(0, 600))))
    return sorted(starts)


async def write_history(
    db: Database, settings: Settings, *, now: datetime, seed: int = SEED, calls: int = CALLS
) -> History:
    """The last 24 hours before ``now`` of synthetic traffic, through the store."""
    rng = random.Random(seed)
    offset = now.astimezone(ZoneInfo(settings.hours.timezone)).utcoffset() or timedelta()
    sample = await asyncio.to_thread(
        parse_accounts, SAMPLE_ACCOUNTS, settings.accounts, settings.readings
    )
    await AccountStore(db).upsert(sample.accounts)
    await _operators(db)
    tally = _Run(db, settings, rng, EventWriter(db))
    stamp = f"{LABEL}-{seed}-{now:%Y%m%d%H%M%S}"
    writing = asyncio.create_task(tally.events.run(), name="history-events")
    try:
        for n, start in enumerate(_starts(rng, now, offset, calls)):
            await _call(tally, f"{stamp}-{n:04d}", start, sample.accounts)
        await _current_call(tally, f"{stamp}-now", now, sample.accounts[0])
        await tally.events.flush()
    finally:
        writing.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await writing
    campaign, attempts = await _campaign(db, settings, rng, now, stamp)
    return History(
        tally.calls,
        tally.queued,
        tally.answered,
        tally.abandoned,
        tally.readings,
        tally.recordings,
        tally.callbacks,
        campaign,
        attempts,
    )


async def _operators(db: Database) -> None:
    store = Operators(db)
    known = {operator.name for operator in await store.all()}
    for name in OPERATORS:
        if name not in known:  # an earlier demo run added them
            interface = ops.simulated_interface(name, 2, 60)
            await store.add(name, interface, simulated=True, full_name=f"{name} ({LABEL})")


async def _call(
    tally: _Run, uniqueid: str, start: datetime, accounts: list[AccountRecord]
) -> None:
    db, rng, note = tally.db, tally.rng, tally.events.add
    log = CallLog(db)
    _, path, outcome, reason, department = rng.choices(WALKS, [w[0] for w in WALKS])[0]
    account = rng.choice(accounts)
    caller = account.phones[0] if account.phones else f"+7913{rng.randrange(10**7):07d}"
    await log.open(
        uniqueid=uniqueid,
        direction=CallDirection.INBOUND,
        started_at=start,
        caller=caller,
        simulated=True,
    )
    at = start + timedelta(seconds=2)
    for node in path:
        await note(uniqueid, EventKind.NODE, node, at=at)
        at += timedelta(seconds=rng.uniform(6, 14))
    tally.calls += 1
    if path[-1] in ("readings", "balance"):
        await note(uniqueid, EventKind.ACCOUNT, account.number, at=at)
        at += timedelta(seconds=rng.uniform(10, 40))
    if path[-1] == "readings" and account.meters:
        meter = account.meters[0]
        previous = meter.last[0] or 0
        value = previous + rng.randrange(80, 400)
        call_id = (await log.get(uniqueid=uniqueid)).id  # type: ignore[union-attr]
        period = f"{start:%Y-%m}"
        draft = ReadingDraft(call_id, account.number, meter.meter_id, 1, period, value, previous)
        await ReadingStore(db).submit(draft, at=at)
        await note(uniqueid, EventKind.READING, str(value), at=at)
        tally.readings += 1
    await log.set_outcome(uniqueid, outcome, operator_reason=reason)
    if department is not None:
        at = await _queued(tally, uniqueid, caller, at, department)
    await log.ended(uniqueid, at=at + timedelta(seconds=2), hangup_cause="16")


async def _current_call(tally: _Run, uniqueid: str, now: datetime, account: AccountRecord) -> None:
    """The call the first operator is on at ``now``: a reading, then the operator."""
    log = CallLog(tally.db)
    caller = account.phones[0]
    start = now - timedelta(minutes=2)
    await log.open(
        uniqueid=uniqueid,
        direction=CallDirection.INBOUND,
        started_at=start,
        caller=caller,
        simulated=True,
    )
    for second, node in ((2, "main"), (10, "readings")):
        await tally.events.add(
            uniqueid, EventKind.NODE, node, at=start + timedelta(seconds=second)
        )
    await tally.events.add(uniqueid, EventKind.ACCOUNT, account.number, at=start)
    await log.set_outcome(uniqueid, CallOutcome.OPERATOR, operator_reason="readings")
    queue, joined = tally.settings.queue.name, now - timedelta(seconds=75)
    target = str(tally.settings.queue.answer_target)
    await tally.events.add(uniqueid, EventKind.ANSWER_TARGET, target, at=joined)
    await tally.events.add(uniqueid, EventKind.QUEUE, queue, at=joined)
    events = QueueEvents(tally.db)
    await events.add(QueueEventRecord(joined, QueueEventKind.JOIN, uniqueid, queue, position=1))
    answered = joined + timedelta(seconds=18)
    await events.add(
        QueueEventRecord(answered, QueueEventKind.CONNECT, uniqueid, queue, OPERATORS[0], wait=18)
    )
    await log.answered(uniqueid, at=answered)
    tally.calls += 1
    tally.queued += 1
    tally.answered += 1


async def _queued(
    tally: _Run, uniqueid: str, caller: str, joined: datetime, department: str
) -> datetime:
    """The queue's side of a call: joined, then answered (and recorded) or abandoned."""
    db, settings, rng = tally.db, tally.settings, tally.rng
    log, events = CallLog(db), QueueEvents(db)
    queue = departments(settings.queue)[department].queue if department else settings.queue.name
    target = str(settings.queue.answer_target)
    await tally.events.add(uniqueid, EventKind.ANSWER_TARGET, target, at=joined)
    await tally.events.add(uniqueid, EventKind.QUEUE, queue, at=joined)
    await events.add(QueueEventRecord(joined, QueueEventKind.JOIN, uniqueid, queue, position=1))
    tally.queued += 1
    wait = rng.expovariate(1 / 22)
    if rng.random() >= ANSWERED_SHARE:
        left = joined + timedelta(seconds=wait + 15)
        if rng.random() < CALLBACK_SHARE:  # the overflow offer taken: a callback request
            await events.add(QueueEventRecord(left, QueueEventKind.CALLBACK, uniqueid, queue))
            request = await CallbackStore(db).request(
                caller, source="queue", uniqueid=uniqueid, at=left
            )
            if rng.random() < CALLBACK_SHARE:
                later = left + timedelta(minutes=rng.uniform(10, 50))
                await CallbackStore(db).done(request.id, rng.choice(OPERATORS), at=later)
            tally.callbacks += 1
        await events.add(
            QueueEventRecord(left, QueueEventKind.ABANDON, uniqueid, queue, wait=int(wait + 15))
        )
        await log.set_outcome(uniqueid, CallOutcome.ABANDONED, overwrite=True)
        tally.abandoned += 1
        return left
    member = rng.choice(OPERATORS)
    answered = joined + timedelta(seconds=wait)
    talk = int(rng.uniform(60, 420))
    await events.add(
        QueueEventRecord(answered, QueueEventKind.CONNECT, uniqueid, queue, member, wait=int(wait))
    )
    done = answered + timedelta(seconds=talk)
    await events.add(
        QueueEventRecord(done, QueueEventKind.COMPLETE, uniqueid, queue, member, talk=talk)
    )
    await log.answered(uniqueid, at=answered)
    recordings = Recordings(db)
    path = recordings_root(settings) / LABEL / f"{answered:%Y/%m/%d}" / f"{uniqueid}.wav"
    record = await recordings.started(uniqueid, str(path), caller=caller, at=answered)
    await recordings.update(record, duration=float(talk), operator=member)
    tally.answered += 1
    tally.recordings += 1
    if talk > TRANSFER_AFTER_TALK:  # the long ones: handed to the dispatcher
        await _transfer(tally, uniqueid, member, answered + timedelta(seconds=talk // 2), wait)
    return done


async def _transfer(tally: _Run, uniqueid: str, member: str, at: datetime, wait: float) -> None:
    """A blind transfer to the dispatcher and its answer, some past the 40 s (no rng drawn:
    the other figures stay as they were)."""
    transfers = Transfers(tally.db)
    await transfers.add(
        at,
        None,
        uniqueid,
        member,
        TransferKind.BLIND,
        TransferTarget.QUEUE,
        "dispatcher",
        "вопрос вне компетенции оператора",
    )
    await transfers.answered(uniqueid, at + timedelta(seconds=10 + int(wait) % 50), None)


async def _campaign(
    db: Database, settings: Settings, rng: random.Random, now: datetime, stamp: str
) -> tuple[str, int]:
    """A debt reminder started 6 hours ago and finished an hour ago: one contact per way an
    attempt can end, twice over, a third of them called a second time."""
    store = DialerStore(db)
    name = f"{AUTHOR}-{stamp.rsplit('-', 1)[-1]}"
    started = now - timedelta(hours=6)
    scenario = Scenario(
        kind=CampaignKind.DEBT,
        steps=(
            Step(prompt="campaign.intro"),
            Step(prompt="campaign.debt.amount"),
            Step(say=SayKind.MONEY, var="amount", key=True),
        ),
        operator_prompt=None,
    )
    version = await store.add_scenario(name, scenario, AUTHOR, started)
    rules = CampaignRules(max_attempts=2, contract_numbers_only=False)
    await store.create_campaign(name, version.id, rules, AUTHOR, started)
    ends = [*ATTEMPT_ENDS, *ATTEMPT_ENDS]
    phones = [f"+7913555{n:04d}" for n in range(len(ends))]
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / f"{name}.csv"
        rows = [f"{p},{rng.randrange(300, 9000)}.{rng.randrange(100):02d}" for p in phones]
        source.write_text("phone,amount\n" + "\n".join(rows) + "\n", encoding="utf-8")
        report = await asyncio.to_thread(
            read_contacts, source, scenario.variables(), region="RU", do_not_call=frozenset()
        )
    await store.attach_list(name, name, f"{LABEL}.csv", report, AUTHOR, started)
    await store.approve(name, f"{AUTHOR}-manager", started)
    campaign = await store.start(name, started, default_zone=settings.hours.timezone)
    targets = sorted(await store.due_targets(campaign.id, started, len(ends)), key=lambda t: t.id)
    attempts = 0
    for n, (target, (result, reason)) in enumerate(zip(targets, ends, strict=True)):
        at = started + timedelta(minutes=n * 300 / len(ends))
        if n % 3 == 0:  # not answered at first: called again later
            first = (Result.NEGATIVE, Reason.NO_ANSWER)
            attempts += await _attempt(store, target, f"{name}-{n}-1", at, first, retry=True)
            at += timedelta(minutes=40)
            due = await store.due_targets(campaign.id, at, len(ends))
            target = next(t for t in due if t.id == target.id)
        attempts += await _attempt(store, target, f"{name}-{n}-2", at, (result, reason))
    await store.finish_if_done(campaign.id, now - timedelta(hours=1))
    return name, attempts


ANSWERED: Final = frozenset(
    {
        Reason.DELIVERED,
        Reason.CONFIRMED,
        Reason.ANSWERED,
        Reason.HUNG_UP_EARLY,
        Reason.NO_CONFIRMATION,
        Reason.TRANSFERRED,
    }
)
HANGUP_CAUSES: Final = {Reason.BUSY: "17", Reason.INVALID_NUMBER: "1", Reason.FAILED: "34"}


async def _attempt(
    store: DialerStore,
    target: TargetRecord,
    attempt_id: str,
    at: datetime,
    end: tuple[Result, Reason],
    *,
    retry: bool = False,
) -> int:
    """One attempt, begun and ended as the dialer does; 1 if written."""
    result, reason = end
    attempt = await store.begin_attempt(target, attempt_id, at)
    if attempt is None:
        return 0
    if reason in ANSWERED:
        await store.mark_attempt(
            attempt.id,
            status=AttemptStatus.ANSWERED,
            answered_at=at + timedelta(seconds=12),
            key_played=reason in (Reason.DELIVERED, Reason.CONFIRMED, Reason.NO_CONFIRMATION),
            confirmed=reason is Reason.CONFIRMED,
            transferred=reason is Reason.TRANSFERRED,
        )
    await store.end_attempt(
        attempt.id,
        status=AttemptStatus.ENDED,
        result=None if retry else result,
        reason=reason,
        cause=HANGUP_CAUSES.get(reason, "16"),
        now=at + timedelta(seconds=45),
        retry_at=at + timedelta(minutes=30) if retry else None,
        final=not retry,
    )
    return 1
