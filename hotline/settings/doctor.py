"""What ``hotline doctor`` expects of an installation (issue 24)."""

from __future__ import annotations

from pydantic import BaseModel, Field

from hotline.settings.base import SECTION_CONFIG


class DoctorSettings(BaseModel):
    model_config = SECTION_CONFIG

    # R-062 (a full archive of all conversations): free disk for this many days of recordings
    # at the current rate, else an error.
    disk_days: int = Field(default=30, ge=1)
    # The current rate: the recordings of this many most recent days, per day.
    rate_window_days: int = Field(default=7, ge=1)
    # Asterisk's system user, when its process cannot be found on this host (AMI elsewhere).
    asterisk_user: str = "asterisk"
    # Seconds each probe (a connection, a query, a command) may take.
    probe_timeout: float = Field(default=5.0, gt=0)
