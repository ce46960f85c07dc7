"""Progressive campaigns with operators (issue 22 item 2)."""

from __future__ import annotations

from pydantic import BaseModel, Field

from hotline.settings.base import SECTION_CONFIG


class ProgressiveSettings(BaseModel):
    model_config = SECTION_CONFIG

    # The share of answered callees who may hang up in the queue before an operator takes
    # them (abandoned), in percent; at it, a campaign dials one call per free operator
    # whatever its ratio.  The seeds give no figure: 3 % is what regulators abroad require
    # of predictive dialers (the default).
    max_abandon_percent: float = Field(default=3.0, ge=0, le=100)
    # Answered calls a campaign needs before its abandon rate lets the ratio above 1 apply.
    min_answered: int = Field(default=20, ge=0)
