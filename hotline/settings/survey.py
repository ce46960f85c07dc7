"""Survey campaigns (issue 22 item 1; R-105-R-108): how a question waits for its keypad
answer.  The frequency cap per customer is ``rating.min_interval_months`` (R-105: one cap
across the operator-call rating and every survey campaign)."""

from __future__ import annotations

from pydantic import BaseModel, Field

from hotline.settings.base import SECTION_CONFIG


class SurveySettings(BaseModel):
    model_config = SECTION_CONFIG

    # the seeds give no figure; as long as the IVR waits for a key (ivr.input_timeout).
    answer_wait_seconds: float = Field(default=5.0, gt=0, le=60)
    # A question without an answer key is asked this many times in all (once more after
    # «нажмите одну из названных клавиш»), then the survey goes on without that answer.
    asks: int = Field(default=2, ge=1, le=3)
