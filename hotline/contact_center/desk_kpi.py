"""The operator's desk in the KPIs (issue 17 item 5): pure functions over stored rows, so a
scripted set of calls gives exactly known numbers.

- call type: the operator's disposition when the call has one (R-038); the guess from the
  IVR path (``hotline.store.queue_queries``) only for calls without one;
- first-contact resolution (R-040): disposed calls whose result is «resolved» over the
  disposed calls whose result counts (an abusive call ended, R-042, does not), against 90 %;
- card lookup time (R-035): from the operator's answer to the card drawn in their browser,
  averaged, against 45 s;
- after-call work (R-037): its average length against 300 s, and the time each operator
  spent in it and in each other pause reason, clipped to the period.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from hotline.contact_center.kpi import Kpi, OperatorTime
from hotline.settings import DeskSettings
from hotline.store.desk import CardViewRecord, DispositionRecord, PauseRecord

# The seeds' targets (the settings' defaults).
SEED_LOOKUP_SECONDS = 45.0
SEED_WRAPUP_SECONDS = 300.0
SEED_FCR = 0.9


def _mean(values: list[float]) -> float | None:
    return round(sum(values) / len(values), 1) if values else None


def pause_time(
    pauses: Iterable[PauseRecord], start: datetime, end: datetime
) -> list[OperatorTime]:
    """Seconds per operator and pause reason within [start, end); a pause still open counts
    up to ``end``."""
    totals: dict[tuple[str, str], float] = {}
    for pause in pauses:
        begun = max(pause.started_at, start)
        over = min(pause.ended_at or end, end)
        if over <= begun:
            continue
        key = (pause.operator, pause.reason)
        totals[key] = totals.get(key, 0.0) + (over - begun).total_seconds()
    return [
        OperatorTime(operator, reason, round(seconds, 1))
        for (operator, reason), seconds in sorted(totals.items())
    ]


def desk_kpis(
    desk: DeskSettings,
    dispositions: Iterable[DispositionRecord],
    views: Iterable[CardViewRecord],
    pauses: Iterable[PauseRecord],
    wrapup_reason: str,
) -> list[Kpi]:
    """First-contact resolution, card lookup time and after-call work, against targets."""
    counted = []
    for kept in dispositions:
        result = desk.result(kept.result)
        if result is not None and result.in_fcr:
            counted.append(result.resolved)
    fcr = round(sum(counted) / len(counted), 4) if counted else None
    wrapups = [
        (p.ended_at - p.started_at).total_seconds()
        for p in pauses
        if p.reason == wrapup_reason and p.ended_at is not None
    ]
    return [
        Kpi("first_contact_resolution", fcr, desk.fcr_target, "share", "ge", SEED_FCR),
        Kpi(
            "card_lookup_time",
            _mean([v.seconds for v in views]),
            float(desk.card_lookup_target),
            "s",
            seed_target=SEED_LOOKUP_SECONDS,
        ),
        Kpi(
            "wrapup_time",
            _mean(wrapups),
            float(desk.wrapup_seconds),
            "s",
            seed_target=SEED_WRAPUP_SECONDS,
        ),
    ]
