"""Writes held in memory while the store refuses them (issue 21, the chaos soak), and how long
each is tried again.  No seed names these figures; they serve R-033 (every call registered,
with its disposition): a database outage of seconds to minutes must not lose a call's row, its
end or its events.  The defaults are the values the soak's hours were run with."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, Field, model_validator

from hotline.settings.base import SECTION_CONFIG


class HeldWritesSettings(BaseModel):
    model_config = SECTION_CONFIG

    # R-033 (every call registered): a campaign call's closing writes (the attempt, the
    # call-log end, outcome and event) refused by the store are tried this many times in
    # all, the delay doubling from the first to the longest (about two minutes); then the
    # call log's reconciliation closes the call row once its attempt is closed and Asterisk
    # no longer has the channel.
    close_tries: int = Field(default=8, ge=1)
    close_first_delay: float = Field(default=0.5, gt=0)
    close_longest_delay: float = Field(default=30.0, gt=0)
    # on a graceful stop the call tracker tries the call rows it holds for an outage once
    # more, for at most this long (then logs them, masked, as lost).
    tracker_stop_seconds: float = Field(default=2.0, ge=0)
    # a call event whose call row is not written yet (the tracker holds it through an
    # outage, or it is not committed yet) is held this long for the row; then it is logged,
    # masked, and counted as lost (hotline_call_events_lost).
    events_for_row_seconds: float = Field(default=300.0, gt=0)
    # what is held is also spooled to local disk (mode 0600, a 0700 folder: personal
    # data), so an engine (or the console: dispositions, audit entries) killed during an
    # outage writes it at its next start; None: the folder "held" in paths.data_dir.
    spool_dir: Path | None = Field(default=None, title="Папка журнала отложенных записей")
    # the spool's bound; over it a held write is kept in memory only (logged, counted
    # in hotline_held_writes_unspooled).  64 MB holds about 350,000 call events.
    spool_max_mb: float = Field(default=64.0, gt=0, title="Предельный размер журнала, МБ")

    @model_validator(mode="after")
    def _delays_in_order(self) -> HeldWritesSettings:
        if self.close_longest_delay < self.close_first_delay:
            raise ValueError("held_writes: close_longest_delay must be at least close_first_delay")
        return self
