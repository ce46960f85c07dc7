"""The operator's desk (issue 17): the card's lookup time (R-035), the disposition an operator
picks after a call (R-033, R-038, R-040, R-042, R-044), and after-call work (R-037).

After-call work is a queue pause with its own reason, WRAPUP_REASON, not app_queue's
``wrapuptime``: app_queue's timer cannot be ended early over AMI (the operator's «готов»),
is one value for the whole queue and leaves no trace of when it began or ended; a pause is
visible in QueueStatus with its reason, ends on «готов» or when ``desk.wrapup_seconds`` pass,
and is stored (``operator_pauses``) like every other pause, so the KPIs count both alike."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any, Final

from hotline.contact_center.kpi import CallType
from hotline.contact_center.operators import queue_of, screen
from hotline.core.clock import utc_now
from hotline.core.errors import NotFound
from hotline.protocol.ami import AmiEvent
from hotline.settings import Settings
from hotline.store.audit import Actor
from hotline.store.calllog import CallLog
from hotline.store.db import STORE_ERRORS, Database
from hotline.store.desk import (
    Audited,
    CardViewRecord,
    DeskStore,
    DispositionRecord,
    PauseRecord,
)
from hotline.store.enums import QueueEventKind
from hotline.store.held_rows import HeldRows, Kept
from hotline.store.held_spool import HeldSpool
from hotline.store.operators import Operators
from hotline.store.queue_events import QueueEventRecord, QueueEvents
from hotline.transport.ami import AmiClient, AmiError, Subscription

log = logging.getLogger(__name__)

# The pause reason of after-call work, as Asterisk and the wallboard show it.
WRAPUP_REASON: Final = "постобработка"
DISPOSE_ACTION: Final = "call.disposition"
WRAPUP_EVENTS: Final = ("AgentComplete",)
EXPIRY_CHECK_SECONDS: Final = 1.0
# After-call work the store refused once the queue had paused the operator (issue 21).
WRAPUP_SPOOL: Final = "after-call-work"
# The console's dispositions the store refused (issue 21).
DISPOSITION_SPOOL: Final = "dispositions"


class DeskError(ValueError):
    pass


async def connected_at(db: Database, operator: str, uniqueid: str) -> datetime:
    """When ``operator`` answered the call ``uniqueid``; NotFound when they never did."""
    for event in await QueueEvents(db).for_uniqueid(uniqueid):
        if event.kind is QueueEventKind.CONNECT and event.member == operator:
            return event.at
    raise NotFound(f"operator {operator} did not answer call {uniqueid}")


async def card_shown(
    db: Database, operator: str, uniqueid: str, at: datetime | None = None
) -> CardViewRecord:
    """The operator's browser drew the card of ``uniqueid``: the lookup time is from their
    answer to now (R-035); the first report of a call counts."""
    connected = await connected_at(db, operator, uniqueid)
    return await DeskStore(db).card_shown(uniqueid, operator, connected, at or utc_now())


@dataclass(frozen=True)
class Disposition:
    """An operator's pick for a call, as the console holds it while the store is away."""

    operator: str
    uniqueid: str
    call_type: str
    result: str
    note: str | None
    at: datetime
    by: Actor

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "at": self.at.isoformat()}

    @classmethod
    def from_json(cls, row: dict[str, Any]) -> Disposition:
        at, by = datetime.fromisoformat(row.pop("at")), Actor(**row.pop("by"))
        return cls(at=at, by=by, **row)


def check_disposition(settings: Settings, call_type: str, result: str) -> None:
    """DeskError unless the type and result are ones the desk offers (no store needed)."""
    if call_type not in {t.value for t in CallType}:
        raise DeskError(f"unknown call type {call_type!r}")
    if settings.desk.result(result) is None:
        raise DeskError(f"unknown result {result!r}")


async def _record_disposition(
    db: Database, pick: Disposition, again: bool = False
) -> DispositionRecord | None:
    """The pick and its audit entry in one unit of work; NotFound when the operator did not
    answer the call.  ``again`` (replayed): not when it or a newer pick is stored."""
    await connected_at(db, pick.operator, pick.uniqueid)
    audited = Audited(pick.by, DISPOSE_ACTION)
    return await DeskStore(db).dispose(
        pick.uniqueid,
        pick.operator,
        pick.call_type,
        pick.result,
        pick.note,
        pick.at,
        audited,
        again,
    )


async def dispose(
    db: Database,
    settings: Settings,
    operator: str,
    uniqueid: str,
    call_type: str,
    result: str,
    note: str | None,
    by: Actor,
) -> DispositionRecord:
    """Store the call's type and result as the operator picked them, audited."""
    check_disposition(settings, call_type, result)
    pick = Disposition(operator, uniqueid, call_type, result, note, utc_now(), by)
    kept = await _record_disposition(db, pick)
    assert kept is not None  # only a replay finds nothing to write
    return kept


def held_dispositions(db: Database, settings: Settings) -> HeldRows[Disposition]:
    """The console's picks the store refused: held, spooled, written once it is back (issue
    21); a pick for a call the operator did not answer is then logged and dropped."""

    async def record(pick: Disposition, again: bool) -> None:
        await _record_disposition(db, pick, again)

    spool = HeldSpool.from_settings(settings, DISPOSITION_SPOOL)
    return HeldRows("disposition", spool, record, Disposition.to_json, Disposition.from_json)


async def submit_disposition(
    held: HeldRows[Disposition],
    settings: Settings,
    operator: str,
    uniqueid: str,
    call_type: str,
    result: str,
    note: str | None,
    by: Actor,
) -> Kept:
    """The console's :func:`dispose`: written, or held while the store is away (the answer
    says which: only a written pick is saved); DeskError, NotFound as there."""
    check_disposition(settings, call_type, result)
    return await held.add(Disposition(operator, uniqueid, call_type, result, note, utc_now(), by))


class _LastAnswered(QueueEvents):
    """The queue events as the screen pop reads them, but its "latest connect" is the
    operator's last answered call even once it has ended."""

    async def latest_connect(self, member: str) -> QueueEventRecord | None:
        return await DeskStore(self._db).last_connect(member)


async def last_call(db: Database, operator: str) -> dict[str, Any] | None:
    """The screen pop of the operator's last answered call, ended or not: the card and the
    disposition stay on the screen through after-call work."""
    return await screen(operator, CallLog(db), _LastAnswered(db))


# --- after-call work (R-037) -------------------------------------------------------------
@dataclass(frozen=True)
class Wrapup:
    """After-call work begun in the queue, to record: the operator paused, the pause row."""

    operator: str
    started_at: datetime
    until: datetime

    def to_json(self) -> dict[str, Any]:
        return {
            "operator": self.operator,
            "started_at": self.started_at.isoformat(),
            "until": self.until.isoformat(),
        }

    @classmethod
    def from_json(cls, row: dict[str, Any]) -> Wrapup:
        at, until = (datetime.fromisoformat(row[k]) for k in ("started_at", "until"))
        return cls(row["operator"], at, until)


async def _record_wrapup(db: Database, wrapup: Wrapup, again: bool = False) -> PauseRecord | None:
    """``again``: recorded before, maybe (replayed from the spool): not twice."""
    store = DeskStore(db)
    if again and await store.has_pause(wrapup.operator, WRAPUP_REASON, wrapup.started_at):
        return None
    await Operators(db).set_state(wrapup.operator, paused=True)
    return await store.pause_started(
        wrapup.operator, WRAPUP_REASON, wrapup.started_at, wrapup.until
    )


def held_wrapups(db: Database, settings: Settings) -> HeldRows[Wrapup]:
    """The engine's after-call work refused by the store: held, spooled, recorded once it is
    back; then the expiry ends it in the queue (at once if its time passed meanwhile), so an
    operator the queue paused during an outage is not left paused (issue 21)."""

    async def record(wrapup: Wrapup, again: bool) -> None:
        await _record_wrapup(db, wrapup, again)

    spool = HeldSpool.from_settings(settings, WRAPUP_SPOOL)
    return HeldRows("after-call work", spool, record, Wrapup.to_json, Wrapup.from_json)


async def start_wrapup(
    ami: AmiClient,
    db: Database,
    settings: Settings,
    operator: str,
    at: datetime | None = None,
    held: HeldRows[Wrapup] | None = None,
) -> PauseRecord | None:
    """Pause ``operator`` in after-call work until ``desk.wrapup_seconds`` pass; None when
    they are not in the queue, already paused for another reason, or wrap-up is off.  With
    ``held`` (the engine's), a record the store refuses after the pause is held, not lost."""
    seconds = settings.desk.wrapup_seconds
    try:
        op = await Operators(db).get(operator)
    except NotFound:
        return None
    if seconds <= 0 or not op.logged_in or op.paused:
        return None
    if op.simulated and not settings.desk.wrapup_simulated:
        return None
    now = at or utc_now()
    await ami.queue_pause(queue_of(settings, op), op.interface, True, WRAPUP_REASON)
    wrapup = Wrapup(operator, now, now + timedelta(seconds=seconds))
    if held is None:
        return await _record_wrapup(db, wrapup)
    await held.add(wrapup)  # written now, or held while the store is away
    return None


async def finish_wrapup(
    ami: AmiClient, db: Database, settings: Settings, operator: str, at: datetime | None = None
) -> PauseRecord | None:
    """End after-call work («готов», or its time is up): available again.  None when the
    operator is not in after-call work (a pause for another reason is theirs to end)."""
    store = DeskStore(db)
    current = await store.open_pause(operator)
    if current is None or current.reason != WRAPUP_REASON:
        return None
    try:
        op = await Operators(db).get(operator)
    except NotFound:
        return await store.pause_ended(operator, at or utc_now())
    if op.logged_in:
        await ami.queue_pause(queue_of(settings, op), op.interface, False, None)
    await Operators(db).set_state(operator, paused=False)
    return await store.pause_ended(operator, at or utc_now())


async def expire_wrapups(
    ami: AmiClient, db: Database, settings: Settings, now: datetime | None = None
) -> list[str]:
    """End every after-call work whose time is up; the operators made available."""
    ended = []
    for pause in await DeskStore(db).due_pauses(now or utc_now()):
        if pause.reason != WRAPUP_REASON:
            continue
        try:
            await finish_wrapup(ami, db, settings, pause.operator, pause.until)
        except AmiError as exc:
            log.warning("after-call work of %s not ended yet: %s", pause.operator, exc)
            continue
        ended.append(pause.operator)
    return ended


def completed_member(event: AmiEvent) -> str | None:
    """The operator whose call an AgentComplete event ends (MemberName is the queue member's
    name: the operator's)."""
    name = event.get("membername")
    return str(name) if name else None


async def run_wrapups(ami: AmiClient, db: Database, settings: Settings, sub: Subscription) -> None:
    """The engine's after-call-work task: each completed operator call starts it, a timer
    ends it.  Runs until cancelled."""
    held = held_wrapups(db, settings)
    writer = asyncio.create_task(held.run(), name="after-call-work-held")
    try:
        await _wrapups(ami, db, settings, sub, held)
    finally:
        writer.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await writer


async def _wrapups(
    ami: AmiClient, db: Database, settings: Settings, sub: Subscription, held: HeldRows[Wrapup]
) -> None:
    while True:
        try:
            event = await sub.get(EXPIRY_CHECK_SECONDS)
        except TimeoutError:
            event = None
        try:
            if event is not None and (member := completed_member(event)):
                await start_wrapup(ami, db, settings, member, held=held)
            await expire_wrapups(ami, db, settings)
        except (AmiError, OSError, *STORE_ERRORS) as exc:  # the next event or tick tries again
            # A database outage must not end the task (issue 21: the engine survives it).
            log.warning("after-call work: %s", exc)
