"""The ``[log]`` section: level, line format and an optional file (issue 24, item 6).

No seed requirement sets these; personal data is masked whatever the format (issue 14).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, model_validator

from hotline.settings.base import SECTION_CONFIG


class LogSettings(BaseModel):
    model_config = SECTION_CONFIG

    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    # "text": one readable line per record; "json": one JSON object per line (time, level,
    # logger, message, the call's uniqueid where one is known, and the record's extra
    # fields), for journald or a log collector.
    format: Literal["text", "json"] = "text"
    # Also append the lines to this file (reopened when logrotate moves it); None: stderr
    # only (journald under systemd).
    file: Path | None = Field(default=None)
    # `hotline run` writes its lines from a thread of its own, a batch at a time: the writer
    # waits this long for more lines once one has come (a warning is written at once).  A
    # process killed outright loses at most this much of its log.
    batch_seconds: float = Field(default=0.05, gt=0, le=5)
    # Lines waiting for a stalled destination (journald not reading, a hung disk) at most;
    # past it new lines are dropped and their count is logged, so memory stays bounded.
    max_waiting_lines: int = Field(default=100_000, ge=100)

    @model_validator(mode="before")
    @classmethod
    def _json_format(cls, data: Any) -> Any:
        """The earlier ``json_format = true`` still means ``format = "json"``."""
        if isinstance(data, dict) and "json_format" in data:
            data = dict(data)
            legacy = data.pop("json_format")
            if str(legacy).lower() in ("true", "1", "yes", "on"):
                data.setdefault("format", "json")
        return data
