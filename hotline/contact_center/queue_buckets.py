"""Queue KPIs per local day or hour: the same QueuedCall rows as the period report, grouped by
when the caller joined the queue (for the console's charts and the per-day/per-hour sheets)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

from hotline.contact_center.kpi import QueuedCall
from hotline.core.spreadsheets import Sheet


class Bucket(StrEnum):
    DAY = "day"
    HOUR = "hour"


@dataclass(frozen=True)
class BucketKpi:
    start: datetime  # local, the start of the day or hour
    offered: int
    answered: int
    within_target: int
    lost: int
    average_wait: float | None
    max_wait: float | None

    @property
    def service_level(self) -> float | None:
        return round(self.within_target / self.offered, 4) if self.offered else None

    @property
    def lost_ratio(self) -> float | None:
        return round(self.lost / self.offered, 4) if self.offered else None


def _floor(at: datetime, zone: ZoneInfo, bucket: Bucket) -> datetime:
    local = at.astimezone(zone)
    if bucket is Bucket.DAY:
        return local.replace(hour=0, minute=0, second=0, microsecond=0)
    return local.replace(minute=0, second=0, microsecond=0)


def by_bucket(calls: list[QueuedCall], zone: ZoneInfo, bucket: Bucket) -> list[BucketKpi]:
    """Buckets that had queued calls, in time order."""
    groups: dict[datetime, list[QueuedCall]] = {}
    for call in calls:
        groups.setdefault(_floor(call.joined_at, zone, bucket), []).append(call)
    out = []
    for start, group in sorted(groups.items()):
        answered = [c for c in group if c.answered]
        waits = [c.wait for c in answered]
        out.append(
            BucketKpi(
                start=start,
                offered=len(group),
                answered=len(answered),
                within_target=sum(1 for c in answered if c.within_target),
                lost=sum(1 for c in group if c.lost),
                average_wait=round(sum(waits) / len(waits), 1) if waits else None,
                max_wait=round(max(c.wait for c in group), 1),
            )
        )
    return out


def bucket_sheet(rows: list[BucketKpi], bucket: Bucket) -> Sheet:
    title = "По дням" if bucket is Bucket.DAY else "По часам"
    return Sheet(
        title,
        (
            "Начало",
            "В очередь",
            "Отвечено",
            "В пределах цели",
            "Потеряно",
            "Уровень сервиса",
            "Доля потерянных",
            "Среднее ожидание, с",
            "Макс. ожидание, с",
        ),
        tuple(
            (
                r.start,
                r.offered,
                r.answered,
                r.within_target,
                r.lost,
                r.service_level,
                r.lost_ratio,
                r.average_wait,
                r.max_wait,
            )
            for r in rows
        ),
    )
