"""Campaigns repeating monthly (issue 22 item 5; dialer.schedule)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from hotline.settings.base import SECTION_CONFIG


class ScheduleSettings(BaseModel):
    model_config = SECTION_CONFIG

    # A schedule's day of the month that is a day off (weekend or public holiday of the
    # production calendar): build the campaign on the next working day, or keep the day (its
    # calls then wait for the next working day anyway: R-086, informing on working days only).
    day_off: Literal["next_working_day", "keep"] = "next_working_day"
    # How often the scheduler (one engine worker) looks for a month's campaign to build.
    check_seconds: float = Field(default=60.0, gt=0)
    # How many months ahead the campaign calendar shows the schedules' coming builds.
    calendar_months: int = Field(default=3, ge=1, le=12)
