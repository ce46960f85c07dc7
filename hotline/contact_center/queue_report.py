"""The period report (`hotline queue stats`): gathers stored rows, then the pure KPI
functions in hotline/contact_center/kpi.py compute it; CSV and XLSX writers for supervisors."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from hotline.contact_center.departments import departments
from hotline.contact_center.desk import WRAPUP_REASON
from hotline.contact_center.desk_kpi import desk_kpis, pause_time, with_dispositions
from hotline.contact_center.kpi import CallFacts, CallType, QueueReport, queue_report, queued_calls
from hotline.contact_center.transfer_kpi import ring_no_answer_by_operator, transfer_kpis
from hotline.core.spreadsheets import Sheet
from hotline.core.vocabulary import LABEL_SUFFIX, describe, header, label
from hotline.settings import Settings
from hotline.store.callbacks import CallbackStore
from hotline.store.calllog import CallLog, CallRecord
from hotline.store.db import Database
from hotline.store.desk import DeskStore
from hotline.store.enums import CallbackStatus, CallDirection, CallOutcome, EventKind
from hotline.store.queue_events import QueueEvents
from hotline.store.transfers import Transfers

READINGS_WORDS = ("reading",)
PERSONAL_EVENTS = ("account",)


def call_facts(record: CallRecord) -> CallFacts:
    """The call's answer target and type, from its call-log events."""
    target = None
    for event in record.events:
        if event.kind == EventKind.ANSWER_TARGET and event.value.isdigit():
            target = int(event.value)
    reason = (record.operator_reason or "").lower()
    path = " ".join(record.path).lower()
    if any(word in reason or word in path for word in READINGS_WORDS):
        call_type = CallType.READINGS
    elif any(e.kind in PERSONAL_EVENTS for e in record.events):
        call_type = CallType.PERSONAL
    else:
        call_type = CallType.GENERAL
    return CallFacts(target, call_type)


def ended_in_the_ivr(record: CallRecord, queued: set[str]) -> bool:
    """A call over before it reached the operator queue, not finished by the IVR: the caller
    hung up (lost to the seed, R-029).  Calls still in progress are not counted yet."""
    return (
        record.ended_at is not None
        and record.uniqueid not in queued
        and record.outcome is not CallOutcome.COMPLETED
    )


async def build_report(
    db: Database,
    settings: Settings,
    start: datetime,
    end: datetime,
    *,
    include_simulated: bool = False,
    department: str | None = None,
) -> QueueReport:
    """The whole hotline, or one department's queue (R-097): its calls against its own
    answer target; the calls it received are the calls that joined it."""
    call_log = CallLog(db)
    records = [
        r
        for r in await call_log.between(start, end, include_simulated=include_simulated)
        if r.direction is CallDirection.INBOUND
    ]
    by_uniqueid = {r.uniqueid: r for r in records}
    events = [e for e in await QueueEvents(db).between(start, end) if e.uniqueid in by_uniqueid]
    queue_settings = settings.queue
    if department is not None:
        chosen = departments(settings.queue)[department]
        events = [e for e in events if e.queue == chosen.queue]
        queue_settings = settings.queue.model_copy(
            update={
                "answer_target": chosen.answer_target,
                "emergency_answer_target": chosen.emergency_answer_target,
            }
        )
        joined = {e.uniqueid for e in events}
        records = [r for r in records if r.uniqueid in joined]
    desk_store = DeskStore(db)
    queued_ids = {e.uniqueid for e in events}
    dispositions = await desk_store.dispositions(queued_ids)
    # The operator's disposition gives the call type; the IVR path only guesses.
    facts = with_dispositions({uid: call_facts(r) for uid, r in by_uniqueid.items()}, dispositions)
    calls = queued_calls(events, facts, queue_settings.answer_target)
    views = [v for v in await desk_store.card_views(start, end) if v.uniqueid in queued_ids]
    # Pauses belong to operators, not to a department's calls: the whole hotline's report.
    pauses = await desk_store.pauses(start, end) if department is None else []
    callbacks = await CallbackStore(db).find(start=start, end=end)
    if department is not None:
        call_ids = {by_uniqueid[uid].id for uid in joined}
        callbacks = [c for c in callbacks if c.call_id in call_ids]
    queued = {c.uniqueid for c in calls}
    report = queue_report(
        calls,
        queue_settings,
        calls_total=len(records),
        ivr_contained=sum(1 for r in records if r.outcome is CallOutcome.COMPLETED),
        ivr_hangups=sum(1 for r in records if ended_in_the_ivr(r, queued)),
        callbacks_requested=len(callbacks),
        callbacks_done=sum(1 for c in callbacks if c.status is CallbackStatus.DONE),
        extra_kpis=desk_kpis(settings.desk, dispositions.values(), views, pauses, WRAPUP_REASON),
        operator_time=pause_time(pauses, start, end),
    )
    # transfers of the period's calls, timed to the receiving side's answer.
    transfers = [t for t in await Transfers(db).between(start, end) if t.uniqueid in queued]
    report.kpis.extend(transfer_kpis(transfers, settings.transfer.answer_target))
    report.ring_no_answer.update(ring_no_answer_by_operator(events))
    return report


COUNTS = (
    "calls_total",
    "lost_seed",
    "lost_waiting",
    "lost_callback",
    "lost_in_ivr",
    "offered",
    "answered",
    "answered_within_target",
    "lost",
    "callbacks_from_queue",
    "callbacks_requested",
    "callbacks_done",
    "ivr_contained",
)


def report_sheets(report: QueueReport, zone: ZoneInfo) -> list[Sheet]:
    """The report as tables (hotline.core.spreadsheets): KPIs against targets, the counts, and
    one row per queued call (local times) so every number can be checked."""
    kpis = Sheet(
        "KPI",
        ("kpi", "показатель", "value", "target", "unit", "met", "seed_target", "target_chosen"),
        tuple(
            (
                k.name,
                describe("Kpi", k.name, {"wait_limit": report.wait_limit}),
                k.value,
                k.target,
                k.unit,
                None if k.met is None else k.met,
                k.seed_target,
                k.chosen if k.seed_target is not None else None,
            )
            for k in report.kpis
        ),
    )
    counts = report.to_dict()
    totals = Sheet("Counts", ("count", "calls"), tuple((key, counts[key]) for key in COUNTS))
    calls = Sheet(
        "Queued calls",
        (
            "uniqueid",
            "joined",
            "type",
            header("type" + LABEL_SUFFIX),
            "target_s",
            "wait_s",
            "answered",
            "within_target",
            "callback",
            "lost",
            "talk_s",
            "operator",
        ),
        tuple(
            (
                c.uniqueid,
                c.joined_at.astimezone(zone),
                c.call_type.value,
                label("CallType", c.call_type),
                c.target,
                round(c.wait, 1),
                c.answered,
                c.within_target,
                c.callback,
                c.lost,
                c.talk,
                c.member,
            )
            for c in report.calls
        ),
    )
    over = Sheet(
        f"Over {report.wait_limit} s",
        ("uniqueid", "joined", "wait_s", "answered", "callback"),
        tuple(
            (c.uniqueid, c.joined_at.astimezone(zone), round(c.wait, 1), c.answered, c.callback)
            for c in report.over_wait_limit
        ),
    )
    paused = Sheet(
        "Operators' pauses",
        ("operator", "reason", "seconds"),
        tuple((t.operator, t.reason, t.seconds) for t in report.operator_time),
    )
    return [kpis, totals, over, calls, paused]
