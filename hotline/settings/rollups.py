"""The reports' roll-up jobs (issue 19 item 3): the IVR report's (``ivr-rollups``), the
queue report's (``queue-rollups``) and the campaign report's attempts' (``attempt-rollups``)
15-minute buckets.  No seed requirement names these: they
change how fast a report answers, never what it says (a bucket not rolled yet is read from
the events)."""

from __future__ import annotations

from pydantic import BaseModel, Field

from hotline.settings.base import SECTION_CONFIG


class RollupSettings(BaseModel):
    model_config = SECTION_CONFIG

    # A bucket is rolled this long after it ended.  At least 30: the staleness triggers mark
    # only calls started over 15 minutes before, so a writer may lag the job by up to this
    # minus 15 minutes and still be seen.
    roll_after_minutes: int = Field(default=60, ge=30)
    # Buckets rolled per transaction while catching up (672: a week of quarter-hours).
    batch: int = Field(default=672, ge=1)
    # How often each job looks for buckets to roll.
    interval_seconds: float = Field(default=300.0, gt=0)
