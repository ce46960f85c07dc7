"""Survey coverage (issue 22, R-105): every customer of the target group surveyed at least once
in a window; the report, the campaign from the customers not surveyed and the monthly
schedule that builds it use these."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from hotline.settings.base import SECTION_CONFIG


def _every_account_with_a_phone() -> dict[str, Any]:
    return {"has_phone": True}


class CoverageSettings(BaseModel):
    model_config = SECTION_CONFIG

    # "не реже 1 раза в год": each customer surveyed at least once in 12 months.
    window_months: int = Field(default=12, ge=1, le=120)
    # R-105's target group: the accounts a monthly schedule's filter would pick (the same
    # language, dialer.schedule.AccountFilter: min_debt, due_passed, timezones,
    # number_prefixes, has_phone); default: every account with a registered phone.
    target: dict[str, Any] = Field(default_factory=_every_account_with_a_phone)
