"""Callbacks at an agreed time (issue 16 item 3; R-109, R-110).  The seeds require a date and a
time agreed with the customer but give no figures for the window or the horizon: the defaults
below are the catalogue's proposals, not seed values."""

from __future__ import annotations

from pydantic import BaseModel, Field

from hotline.settings.base import SECTION_CONFIG


class CallbackSettings(BaseModel):
    model_config = SECTION_CONFIG

    # the length of an agreed window in minutes (no seed figure); the IVR's first option
    # is «в течение часа» with 60.  Multiples of 15, so «в ближайшие N минут» is always said right.
    slot_minutes: int = Field(default=60, ge=15, le=480, multiple_of=15)
    # how many calendar days ahead a slot may be agreed (no seed figure).
    days_ahead: int = Field(default=7, ge=1, le=31)
    # the IVR offers at most this many slots (the menu standard's 4 options per level).
    options: int = Field(default=4, ge=1, le=4)
    # a callback whose window opens goes to the least-loaded logged-in operator of the
    # queue; off: only a supervisor assigns (issue 16 item 3).
    auto_assign: bool = True
    # Seconds the operator's phone, then the customer's, rings on a callback from the console.
    ring_seconds: int = Field(default=30, ge=5, le=120)
