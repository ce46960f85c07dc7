"""The 15-minute buckets both roll-ups (IVR and queue) keep their rows in: a bucket is UTC
epoch seconds // 900, so every zone's whole-quarter-hour offset folds buckets into local
hours and days exactly."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Final

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
