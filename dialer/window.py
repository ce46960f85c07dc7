"""When a contact may be called: the campaign's hours in the contact's own time zone, on
working days of the Russian production calendar (hotline.contact_center.hours does the
calendar).  Pure."""

from __future__ import annotations

import functools
from datetime import datetime, timedelta

from dialer.model import CampaignRules
from hotline.contact_center.hours import OperatorHours, ProductionCalendar
from hotline.settings import HoursSettings


class CallingWindow:
    def __init__(
        self, rules: CampaignRules, timezone: str, calendar: ProductionCalendar | None = None
    ) -> None:
        weekday = rules.weekday_hours
        self.timezone = timezone
        # The operator-hours machinery answers the same question: open at t? next opening?
        self._hours = OperatorHours(
            HoursSettings(
                timezone=timezone,
                monday=weekday,
                tuesday=weekday,
                wednesday=weekday,
                thursday=weekday,
                friday=weekday,
                saturday=rules.saturday_hours,
                sunday=rules.sunday_hours,
                holiday_hours=rules.holiday_hours,
            ),
            calendar=calendar,
        )

    def is_open(self, at: datetime) -> bool:
        return self._hours.is_open(at)

    def next_open(self, at: datetime) -> datetime | None:
        """``at`` itself when open, else the next opening (None: none within 31 days)."""
        if self._hours.is_open(at):
            return at
        return self._hours.next_opening(at)

    def why_closed(self, at: datetime) -> str:
        local = self._hours.local(at)
        day = self._hours.hours_on(local.date())
        if day.source.startswith("holiday:"):
            return f"holiday ({day.source.removeprefix('holiday:')}) in {self.timezone}"
        if day.closed:
            return f"day off in {self.timezone}"
        return f"outside calling hours {day} in {self.timezone} (now {local:%H:%M})"


@functools.lru_cache(maxsize=256)
def _cached(rules_json: str, timezone: str) -> CallingWindow:
    return CallingWindow(CampaignRules.model_validate_json(rules_json), timezone)


def window_for(rules: CampaignRules, timezone: str) -> CallingWindow:
    return _cached(rules.model_dump_json(), timezone)


def retry_at(
    window: CallingWindow, now: datetime, delay: timedelta, ends_at: datetime | None
) -> datetime | None:
    """When a retry ``delay`` after ``now`` may happen: in the next open window, and before the
    campaign's end (None: no chance left)."""
    at = window.next_open(now + delay)
    if at is None or (ends_at is not None and at >= ends_at):
        return None
    return at
