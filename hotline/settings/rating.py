"""The one-question rating after an operator call (issue 16 item 5; R-101, R-105, R-108)."""

from __future__ import annotations

from pydantic import BaseModel, Field

from hotline.settings.base import SECTION_CONFIG


class RatingSettings(BaseModel):
    model_config = SECTION_CONFIG

    # Off by default: R-108 calls the DTMF rating after the agent call *optional* (one of two
    # ways to do passive feedback, R-101), and no seed requires it on every line.
    enabled: bool = False
    # a customer (caller number) is surveyed no more often than once every 3 months.
    min_interval_months: int = Field(default=3, ge=0, le=120)
