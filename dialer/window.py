"""When a contact may be called: the campaign's hours in the contact's own time zone, on
working days of the Russian production calendar (hotline.contact_center.hours does the
calendar).  Pure."""

from __future__ import annotations

import functools
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Final

from dialer.model import CampaignRules
from hotline.contact_center.hours import OperatorHours, ProductionCalendar
from hotline.core.vocabulary import describe
from hotline.settings import HoursSettings


class WaitReason(StrEnum):
    """Why a contact of a campaign is not being dialled right now (``hotline campaign why``,
    the console's «Почему не звоним»); labels in hotline.core.vocabulary."""

    NOT_APPROVED = "not_approved"
    NOT_STARTED = "not_started"  # approved but not started
    PAUSED = "paused"
    STOPPED = "stopped"
    FINISHED = "finished"
    STARTS_LATER = "starts_later"
    DO_NOT_CALL = "do_not_call"  # closed at the next dispatcher tick
    RETRY = "retry"  # waits for its retry (param: reason)
    DEFERRED = "deferred"  # the calling window was closed at its turn; waits for it to open
    HOLIDAY = "holiday"  # params: holiday, timezone
    DAY_OFF = "day_off"  # param: timezone
    OUTSIDE_HOURS = "outside_hours"  # params: hours, timezone, local
    SAME_NUMBER = "same_number"  # the same number was called moments ago (minimum gap)
    CAMPAIGN_CAP = "campaign_cap"  # param: limit
    TRUNK_CAP = "trunk_cap"  # param: limit
    DUE_NOW = "due_now"  # next dispatcher tick (calls-per-second cap)
    # A progressive campaign dials when an operator of its queue is free (param: queue).
    FREE_OPERATOR = "free_operator"


# How a retry's wait is stored in campaign_targets.waiting ("retry:<reason>").
RETRY_PREFIX: Final = "retry:"
_OLD_RETRY_PREFIX: Final = "retry after "  # rows written before issue 18


@dataclass(frozen=True)
class Waiting:
    """A WaitReason with its parameters: ``text`` for people, ``code`` for programs."""

    code: WaitReason
    params: tuple[tuple[str, str], ...] = ()

    @classmethod
    def of(cls, code: WaitReason, **params: object) -> Waiting:
        return cls(code, tuple(sorted((k, str(v)) for k, v in params.items())))

    @property
    def param_dict(self) -> Mapping[str, str]:
        return dict(self.params)

    @property
    def text(self) -> str:
        return describe("WaitReason", self.code, self.param_dict)

    def to_dict(self) -> dict[str, object]:
        return {"code": self.code.value, "params": self.param_dict}

    @property
    def stored(self) -> str:
        """What campaign_targets.waiting holds (its code; a retry names the reason)."""
        if self.code is WaitReason.RETRY:
            return RETRY_PREFIX + self.param_dict.get("reason", "")
        return self.code.value

    @classmethod
    def parse(cls, stored: str | None) -> Waiting:
        """campaign_targets.waiting read back; older free-text rows count as deferred."""
        text = stored or ""
        for prefix in (RETRY_PREFIX, _OLD_RETRY_PREFIX):
            if text.startswith(prefix):
                return cls.of(WaitReason.RETRY, reason=text.removeprefix(prefix))
        try:
            return cls(WaitReason(text))
        except ValueError:
            return cls(WaitReason.DEFERRED)


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

    def periods(self, start: datetime, end: datetime) -> Iterator[tuple[datetime, datetime]]:
        """The open periods overlapping [start, end), clipped to it, in order (UTC)."""
        day = self._hours.local(start).date()
        last = self._hours.local(end).date()
        while day <= last:
            for opens, closes in self._hours.periods_on(day):
                if closes > start and opens < end:
                    yield max(opens, start), min(closes, end)
            day += timedelta(days=1)

    def why_closed(self, at: datetime) -> Waiting:
        local = self._hours.local(at)
        day = self._hours.hours_on(local.date())
        if day.source.startswith("holiday:"):
            # People read it (the console, the CLI): the holiday's Russian name.
            holiday = _russian_holiday(local.date()) or day.source.removeprefix("holiday:")
            return Waiting.of(WaitReason.HOLIDAY, holiday=holiday, timezone=self.timezone)
        if day.closed:
            return Waiting.of(WaitReason.DAY_OFF, timezone=self.timezone)
        return Waiting.of(
            WaitReason.OUTSIDE_HOURS, hours=day, timezone=self.timezone, local=f"{local:%H:%M}"
        )


def holiday_name(day: date) -> str | None:
    """The Russian name of a public holiday of the production calendar (None: not one)."""
    return _russian_holiday(day)


@functools.lru_cache(maxsize=64)
def _russian_holiday(day: date) -> str | None:
    """The production calendar's name of ``day`` in Russian (None: not a holiday)."""
    import holidays  # ~50 ms to import: only when a window is closed for a holiday

    name: str | None = holidays.country_holidays("RU", language="ru").get(day)
    return name


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
