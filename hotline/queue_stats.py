"""The period report (`hotline queue stats`): gathers stored rows, then the pure KPI
functions in hotline/queue_kpi.py compute it; CSV and XLSX writers for supervisors."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from pathlib import Path

from hotline.constants import CallbackStatus, CallDirection, CallOutcome
from hotline.queue_kpi import CallFacts, CallType, QueueReport, queue_report, queued_calls
from hotline.settings import Settings
from hotline.store.calllog import CallLog, CallRecord
from hotline.store.contact_center import CallbackStore, QueueEvents
from hotline.store.db import Database

READINGS_WORDS = ("reading",)
PERSONAL_EVENTS = ("account",)


def call_facts(record: CallRecord) -> CallFacts:
    """The call's answer target and type, from its call-log events."""
    target = None
    for event in record.events:
        if event.kind == "answer_target" and event.value.isdigit():
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


async def build_report(
    db: Database,
    settings: Settings,
    start: datetime,
    end: datetime,
    *,
    include_simulated: bool = False,
) -> QueueReport:
    call_log = CallLog(db)
    records = [
        r
        for r in await call_log.between(start, end, include_simulated=include_simulated)
        if r.direction is CallDirection.INBOUND
    ]
    by_uniqueid = {r.uniqueid: r for r in records}
    events = [e for e in await QueueEvents(db).between(start, end) if e.uniqueid in by_uniqueid]
    facts = {uid: call_facts(r) for uid, r in by_uniqueid.items()}
    calls = queued_calls(events, facts, settings.queue.answer_target)
    callbacks = await CallbackStore(db).find(start=start, end=end)
    return queue_report(
        calls,
        settings.queue,
        calls_total=len(records),
        ivr_contained=sum(1 for r in records if r.outcome is CallOutcome.COMPLETED),
        callbacks_requested=len(callbacks),
        callbacks_done=sum(1 for c in callbacks if c.status is CallbackStatus.DONE),
    )


def report_rows(report: QueueReport) -> list[list[object]]:
    rows: list[list[object]] = [["kpi", "value", "target", "unit", "met"]]
    for kpi in report.kpis:
        met = "" if kpi.met is None else ("yes" if kpi.met else "NO")
        rows.append([kpi.name, kpi.value, kpi.target, kpi.unit, met])
    counts = report.to_dict()
    rows.extend(
        [key, counts[key], "", "calls", ""]
        for key in (
            "calls_total",
            "offered",
            "answered",
            "answered_within_target",
            "lost",
            "callbacks_from_queue",
            "callbacks_requested",
            "callbacks_done",
            "ivr_contained",
        )
    )
    return rows


def to_csv(report: QueueReport) -> str:
    out = io.StringIO()
    csv.writer(out).writerows(report_rows(report))
    return out.getvalue()


def write_xlsx(report: QueueReport, path: Path, start: datetime, end: datetime) -> None:
    """Blocking: run it in a thread."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "KPI"
    sheet.append(["period", start.isoformat(), end.isoformat()])
    for row in report_rows(report):
        sheet.append(["" if v is None else v for v in row])
    book.save(path)
