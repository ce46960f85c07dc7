"""The rules a meter reading is checked against, whoever takes it (the IVR now, the
operator's form later): the acceptance window and billing period, the plausibility limit."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from enum import StrEnum
from typing import Final, Literal

from hotline.store.accounts import FLAG_NEXT_PERIOD

DAYS_PER_MONTH: Final = 30.44


@dataclass(frozen=True)
class BillingPeriodDecision:
    period: str  # "YYYY-MM": the billing period the reading counts for
    in_window: bool
    accepted: bool  # False: refused (outside the window, policy "refuse")
    flags: tuple[str, ...] = ()


def billing_period_of(day: dt.date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def decide_billing_period(
    local_day: dt.date, window: tuple[int, int], policy: Literal["refuse", "next_period"]
) -> BillingPeriodDecision:
    """Readings taken on the window's days count for that month.  Outside it the reading is
    refused, or counts for the period whose window comes next (this month's before the
    window, next month's after it), flagged so billing sees it was early or late."""
    first, last = window
    if first <= local_day.day <= last:
        return BillingPeriodDecision(billing_period_of(local_day), in_window=True, accepted=True)
    if policy == "refuse":
        return BillingPeriodDecision(billing_period_of(local_day), in_window=False, accepted=False)
    if local_day.day < first:
        period = billing_period_of(local_day)
    else:
        next_month = (local_day.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
        period = billing_period_of(next_month)
    return BillingPeriodDecision(period, in_window=False, accepted=True, flags=(FLAG_NEXT_PERIOD,))


def plausibility_limit(
    avg_monthly_kwh: int | None,
    since: dt.date | None,
    today: dt.date,
    multiple: float,
    ceiling_kwh: int,
) -> int:
    """The most consumption accepted without a second confirmation: ``multiple`` times the
    average per month elapsed since the last reading (at least one month), never above the
    absolute ceiling."""
    if not avg_monthly_kwh:
        return ceiling_kwh
    months = 1.0 if since is None else max(1.0, (today - since).days / DAYS_PER_MONTH)
    return min(ceiling_kwh, math.ceil(multiple * avg_monthly_kwh * months))


class Check(StrEnum):
    """Why a typed reading is not taken as it stands (the IVR and the operator's form alike)."""

    NOT_A_NUMBER = "not_a_number"
    TOO_MANY_DIGITS = "too_many_digits"  # more digits than the meter's display has
    LOWER = "lower"  # below the last accepted reading
    IMPLAUSIBLE = "implausible"  # consumption over the plausibility limit: confirm it


def check_typed(typed: str, digits: int) -> Check | None:
    """The digits as typed against the meter's display."""
    if not typed.isdigit():
        return Check.NOT_A_NUMBER
    if len(typed) > digits:
        return Check.TOO_MANY_DIGITS
    return None


def check_value(value: int, previous: int, limit: int) -> Check | None:
    """The value against the last accepted reading and the plausibility limit."""
    if value < previous:
        return Check.LOWER
    if value - previous > limit:
        return Check.IMPLAUSIBLE
    return None
