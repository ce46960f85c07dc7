"""Report periods as people type them: local dates (``--to`` includes the whole day) or ISO
8601 datetimes (without an offset, in the given zone; ``--to`` is then exclusive)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo


class PeriodProblem(StrEnum):
    BAD_DATE = "bad-date"  # not a date at all
    OUT_OF_RANGE = "out-of-range"  # a date at the ends of the calendar
    EMPTY = "empty"  # the end is not after the start


class PeriodError(ValueError):
    """A period that cannot be used; ``problem`` says why and ``text`` is what was typed (the
    message is for the CLI; the console words its own)."""

    def __init__(self, message: str, problem: PeriodProblem, text: str = "") -> None:
        super().__init__(message)
        self.problem = problem
        self.text = text


def parse_moment(text: str, zone: ZoneInfo, *, end_of_day: bool) -> datetime:
    """The moment ``text`` names; raises ValueError with an example of what is expected (also
    for dates at the ends of the calendar, which would overflow in UTC or a day later)."""
    try:
        moment = _parse_moment(text.strip(), zone, end_of_day=end_of_day)
        moment.astimezone(UTC)  # stored and compared in UTC
    except OverflowError as exc:
        raise PeriodError(
            f"date out of range: {text.strip()!r}", PeriodProblem.OUT_OF_RANGE, text.strip()
        ) from exc
    return moment


def _parse_moment(text: str, zone: ZoneInfo, *, end_of_day: bool) -> datetime:
    try:
        day = date.fromisoformat(text)
    except ValueError:
        pass
    else:
        if len(text) == len("YYYY-MM-DD"):
            day += timedelta(days=1) if end_of_day else timedelta()
            return datetime.combine(day, time(), zone)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as exc:
        raise PeriodError(
            f"bad date {text!r}: expected YYYY-MM-DD or ISO 8601, e.g. 2026-03-01T10:30",
            PeriodProblem.BAD_DATE,
            text,
        ) from exc
    return moment.replace(tzinfo=zone) if moment.tzinfo is None else moment


def parse_period(
    start: str, end: str | None, zone: ZoneInfo, *, now: datetime | None = None
) -> tuple[datetime, datetime]:
    """``[first, last)``; ``end`` None means up to now.  Raises ValueError when empty."""
    first = parse_moment(start, zone, end_of_day=False)
    last = (
        parse_moment(end, zone, end_of_day=True)
        if end is not None
        else (now or datetime.now(zone))
    )
    if last <= first:
        raise PeriodError("--to must be after --from", PeriodProblem.EMPTY)
    return first, last
