"""The 15-minute buckets both roll-ups (IVR and queue) keep their rows in: a bucket is UTC
epoch seconds // 900, so every zone's whole-quarter-hour offset folds buckets into local
hours and days exactly."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Final
from zoneinfo import ZoneInfo

from hotline.store.types import as_utc

BUCKET_SECONDS: Final = 900

_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)


def bucket_of(moment: datetime) -> int:
    """The 15-minute bucket a moment falls in (UTC epoch seconds // 900)."""
    return int((as_utc(moment) - _EPOCH).total_seconds()) // BUCKET_SECONDS


def bucket_start(bucket: int) -> datetime:
    return _EPOCH + timedelta(seconds=bucket * BUCKET_SECONDS)


def ceil_bucket(moment: datetime) -> int:
    """The first bucket starting at or after ``moment``."""
    first = bucket_of(moment)
    return first if bucket_start(first) == as_utc(moment) else first + 1


def runs(buckets: list[int]) -> list[tuple[int, int]]:
    """Sorted buckets as contiguous runs [first, last]."""
    out: list[tuple[int, int]] = []
    for bucket in buckets:
        if out and out[-1][1] == bucket - 1:
            out[-1] = (out[-1][0], bucket)
        else:
            out.append((bucket, bucket))
    return out


def uncovered(
    start: datetime, end: datetime, covered: list[int]
) -> list[tuple[datetime, datetime]]:
    """``[start, end)`` without the covered buckets, as contiguous ranges."""
    out: list[tuple[datetime, datetime]] = []
    at = as_utc(start)
    for bucket in sorted(covered):
        if bucket_start(bucket) > at:
            out.append((at, bucket_start(bucket)))
        at = max(at, bucket_start(bucket + 1))
    if at < as_utc(end):
        out.append((at, as_utc(end)))
    return out


@dataclass(frozen=True)
class Slots:
    """A chart's local slots: hours or days (``seconds`` 3600 or 86400) in ``zone``."""

    zone: ZoneInfo
    seconds: int


# Offsets are looked at this often to find a zone's transitions (none are closer).
_PROBE: Final = timedelta(hours=6)


def offsets(zone: ZoneInfo, start: datetime, end: datetime) -> list[tuple[int, int]]:
    """The zone's UTC offset over ``[start, end)`` as (from UTC epoch second, offset in
    seconds), oldest first: the first from ``start``'s bucket, each transition found to the
    second."""

    def offset(epoch: int) -> int:
        moment = datetime.fromtimestamp(epoch, UTC).astimezone(zone)
        delta = moment.utcoffset()
        return 0 if delta is None else int(delta.total_seconds())

    at = bucket_of(start) * BUCKET_SECONDS
    last = int((as_utc(end) - _EPOCH).total_seconds())
    out = [(at, offset(at))]
    probe = int(_PROBE.total_seconds())
    while at < last:
        ahead = min(at + probe, last)
        if offset(ahead) == out[-1][1]:
            at = ahead
            continue
        before = at  # bisect: the first second with the new offset
        while ahead - before > 1:
            middle = (before + ahead) // 2
            before, ahead = (middle, ahead) if offset(middle) == out[-1][1] else (before, middle)
        out.append((ahead, offset(ahead)))
        at = ahead
    return out
