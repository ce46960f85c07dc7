"""The console's time charts: the x axis is the period the page shows, never what the data
happens to cover.

Every chart gets one slot per hour or day of its period (``[first, last)``, local time in the
installation's zone), so one point or none still draws the whole day, week or campaign, with a
note when there is nothing to show; ``range`` pins the axis to the period in the browser
(static/charts.js), where uPlot left to itself stretches a lone timestamp into 1000 days.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

# Longer campaigns are drawn by days: a month by hours is 720 points nobody can read.
MAX_HOURLY_SPAN = timedelta(days=3)
NO_DATA = "Нет данных за период"
PERCENT = "%"
CALLS = "звонков"
ATTEMPTS = "попыток"


class Step(StrEnum):
    HOUR = "hour"
    DAY = "day"


X_LABELS = {Step.HOUR: "Час", Step.DAY: "День"}


@dataclass(frozen=True)
class Line:
    """One series: values by the local start of their slot; slots without one get
    ``missing`` (0 for counts, None, a gap, for shares).  ``target``: a constant goal line."""

    label: str
    values: Mapping[datetime, float | None]
    missing: float | None = 0
    target: float | None = None


def floor(at: datetime, zone: ZoneInfo, step: Step) -> datetime:
    """The local start of the hour or day ``at`` falls in."""
    local = at.astimezone(zone)
    if step is Step.DAY:
        return datetime.combine(local.date(), time(), tzinfo=zone)
    return local.replace(minute=0, second=0, microsecond=0)


def _next(at: datetime, zone: ZoneInfo, step: Step) -> datetime:
    if step is Step.DAY:
        return datetime.combine(at.date() + timedelta(days=1), time(), tzinfo=zone)
    return (at.astimezone(UTC) + timedelta(hours=1)).astimezone(zone)


def ceil(at: datetime, zone: ZoneInfo, step: Step) -> datetime:
    """The local start of the first hour or day that begins at or after ``at``."""
    start = floor(at, zone, step)
    return start if start == at else _next(start, zone, step)


def slots(first: datetime, last: datetime, zone: ZoneInfo, step: Step) -> list[datetime]:
    """The local starts of the hours or days of ``[first, last)``."""
    out: list[datetime] = []
    at = floor(first, zone, step)
    while at < last:
        out.append(at)
        at = _next(at, zone, step)
    return out


def step_for(first: datetime, last: datetime) -> Step:
    """Hours for a span of up to three days, days beyond."""
    return Step.HOUR if last - first <= MAX_HOURLY_SPAN else Step.DAY


def chart_spec(
    first: datetime,
    last: datetime,
    zone: ZoneInfo,
    step: Step,
    lines: Sequence[Line],
    unit: str,
) -> dict[str, Any]:
    """The chart of ``[first, last)`` as static/charts.js draws it."""
    x = slots(first, last, zone, step)
    series: list[dict[str, Any]] = []
    for line in lines:
        if line.target is not None:
            values: list[float | None] = [line.target] * len(x)
        else:
            values = [line.values.get(at, line.missing) for at in x]
        series.append({"label": line.label, "values": values, "target": line.target is not None})
    shown = [
        v is not None and (line.missing is None or v != 0)
        for line, drawn in zip(lines, series, strict=True)
        if line.target is None
        for v in drawn["values"]
    ]
    return {
        "x": [int(at.timestamp()) for at in x],
        "range": [int(first.timestamp()), int(last.timestamp())],
        "zone": zone.key,
        "step": step.value,
        "xlabel": X_LABELS[step],
        "unit": unit,
        "empty": not any(shown),
        "note": NO_DATA,
        "series": series,
    }


def chart_json(
    first: datetime,
    last: datetime,
    zone: ZoneInfo,
    step: Step,
    lines: Sequence[Line],
    unit: str,
) -> str:
    return json.dumps(chart_spec(first, last, zone, step, lines, unit), ensure_ascii=False)
