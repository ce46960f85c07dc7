"""The period report (`hotline queue stats`): per-call figures computed in SQL, then the pure KPI
functions in hotline/contact_center/kpi.py compute it; CSV and XLSX writers for supervisors."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from datetime import datetime
from zoneinfo import ZoneInfo

from hotline.contact_center.departments import departments
from hotline.contact_center.desk import WRAPUP_REASON
from hotline.contact_center.desk_kpi import desk_kpis, pause_time
from hotline.contact_center.kpi import CallType, QueuedCall, QueueReport, Tally, report_of, tally
from hotline.contact_center.transfer_kpi import transfer_kpis
from hotline.core.spreadsheets import Sheet
from hotline.core.vocabulary import LABEL_SUFFIX, describe, header, label
from hotline.settings import Settings
from hotline.store.callbacks import CallbackStore
from hotline.store.db import Database
from hotline.store.desk import DeskStore, DispositionRecord
from hotline.store.enums import CallbackStatus
from hotline.store.queue_queries import QueuedRow, QueueFigures, figures_of
from hotline.store.queue_rollups import report_figures
from hotline.store.queue_sums import report_sums
from hotline.store.transfers import Transfers


def queued_calls_of(
    rows: Iterable[QueuedRow], dispositions: Mapping[str, DispositionRecord], default_target: int
) -> list[QueuedCall]:
    """The queued calls of the SQL rows (``hotline.store.queue_queries``), their type the
    operator's disposition where there is one (R-038), else the IVR path's guess."""
    calls = []
    for row in rows:
        if row.readings:
            call_type = CallType.READINGS
        elif row.personal:
            call_type = CallType.PERSONAL
        else:
            call_type = CallType.GENERAL
        kept = dispositions.get(row.uniqueid)
        if kept is not None:
            call_type = CallType(kept.call_type)
        answered = row.connect_at is not None
        left = row.connect_at if row.connect_at is not None else row.last_at
        calls.append(
            QueuedCall(
                uniqueid=row.uniqueid,
                joined_at=row.joined_at,
                target=row.answer_target or default_target,
                call_type=call_type,
                answered=answered,
                wait=(left - row.joined_at).total_seconds(),
                callback=row.callback and not answered,
                talk=row.talk,
                member=row.member,
            )
        )
    return calls


async def build_report(
    db: Database,
    settings: Settings,
    start: datetime,
    end: datetime,
    *,
    include_simulated: bool = False,
    department: str | None = None,
    calls: bool = True,
) -> QueueReport:
    """The whole hotline, or one department's queue (R-097): its calls against its own
    answer target; the calls it received are the calls that joined it.  The per-call
    figures come from the roll-ups and SQL over the rest (issue 19), never the queue events
    themselves.  ``calls=False``: the KPIs from sums in SQL (``hotline.store.queue_sums``)
    and no list of calls (``report.calls`` empty), for screens that show none."""
    queue_settings = settings.queue
    queue = None
    if department is not None:
        chosen = departments(settings.queue)[department]
        queue = chosen.queue
        queue_settings = settings.queue.model_copy(
            update={
                "answer_target": chosen.answer_target,
                "emergency_answer_target": chosen.emergency_answer_target,
            }
        )
    desk_store = DeskStore(db)
    views = await desk_store.card_views(start, end)
    transfers = await Transfers(db).between(start, end)
    if calls:
        figures = await report_figures(
            db, start, end, include_simulated=include_simulated, queue=queue
        )
        queued = {row.uniqueid for row in figures.calls}
        dispositions = await desk_store.dispositions(queued)
        listed = queued_calls_of(figures.calls, dispositions, queue_settings.answer_target)
        sums = tally(listed, queue_settings.answer_target)
        call_ids, totals = set(figures.call_ids), figures
    else:
        listed = []
        summed = await _summed(
            db,
            start,
            end,
            include_simulated,
            queue,
            queue_settings.answer_target,
            [*(v.uniqueid for v in views), *(t.uniqueid for t in transfers)],
        )
        sums, queued, dispositions, call_ids, totals = summed
    views = [v for v in views if v.uniqueid in queued]
    # Pauses belong to operators, not to a department's calls: the whole hotline's report.
    pauses = await desk_store.pauses(start, end) if department is None else []
    callbacks = await CallbackStore(db).find(start=start, end=end)
    if department is not None:
        callbacks = [c for c in callbacks if c.call_id in call_ids]
    report = report_of(
        sums,
        queue_settings,
        calls=listed,
        calls_total=totals.calls_total,
        ivr_contained=totals.ivr_contained,
        ivr_hangups=totals.ivr_hangups,
        callbacks_requested=len(callbacks),
        callbacks_done=sum(1 for c in callbacks if c.status is CallbackStatus.DONE),
        extra_kpis=desk_kpis(settings.desk, dispositions.values(), views, pauses, WRAPUP_REASON),
        operator_time=pause_time(pauses, start, end),
    )
    # transfers of the period's calls, timed to the receiving side's answer.
    transfers = [t for t in transfers if t.uniqueid in queued]
    report.kpis.extend(transfer_kpis(transfers, settings.transfer.answer_target))
    report.ring_no_answer.update(totals.ring_no_answer)
    return report


async def _summed(
    db: Database,
    start: datetime,
    end: datetime,
    include_simulated: bool,
    queue: str | None,
    target: int,
    probe: list[str],
) -> tuple[Tally, set[str], dict[str, DispositionRecord], set[str], QueueFigures]:
    """The KPI sums of the rolled calls (SQL) and of the rest (its few rows), the queued
    calls among ``probe``, the queued calls' dispositions, a department's call ids, and
    the totals (as ``QueueFigures`` with no calls)."""
    parts = await report_sums(
        db,
        start,
        end,
        include_simulated=include_simulated,
        queue=queue,
        default_target=target,
        limit=target,
        types=(CallType.READINGS.value, CallType.PERSONAL.value, CallType.GENERAL.value),
        probe=probe,
    )
    rolled = parts.rolled
    rest = figures_of(parts.rest, parts.totals, parts.rings, queue, parts.covered)
    rest_kept = await DeskStore(db).dispositions(row.uniqueid for row in rest.calls)
    sums = tally(queued_calls_of(rest.calls, rest_kept, target), target)
    if rolled.sums is not None:
        got = rolled.sums
        talk = {CallType(name): sum_n for name, sum_n in got.talk.items()}
        sums = sums + Tally(
            got.offered,
            got.answered,
            got.within_target,
            got.within_limit,
            got.lost,
            got.from_queue,
            got.wait_answered_us,
            got.wait_all_us,
            got.max_wait_us,
            talk,
        )
    dispositions = {d.uniqueid: d for d in rolled.dispositions}
    dispositions.update(rest_kept)
    queued = set(rolled.probed) | {row.uniqueid for row in rest.calls}
    if queue is None:
        total, contained = rest.calls_total, rest.ivr_contained
        hangups = rest.ivr_hangups - rolled.hung_up_joined
    else:
        total = rest.calls_total + rolled.count
        contained = rest.ivr_contained + rolled.completed
        hangups = rest.ivr_hangups + rolled.hung_up_unjoined
    totals = dataclasses.replace(
        rest, calls=[], calls_total=total, ivr_contained=contained, ivr_hangups=hangups
    )
    return sums, queued, dispositions, {*rest.call_ids, *rolled.call_ids}, totals


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
