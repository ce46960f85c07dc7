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
