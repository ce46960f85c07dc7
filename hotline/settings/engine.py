"""The engine process itself (issue 19 item 6; no seed requirement: the seeds say what callers
get, not how the process schedules its work)."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel

from hotline.settings.base import SECTION_CONFIG


class LoopKind(StrEnum):
    ASYNCIO = "asyncio"  # the standard library's loop
    UVLOOP = "uvloop"  # libuv's: less work per callback and per socket read


class EngineSettings(BaseModel):
    model_config = SECTION_CONFIG

    # The event loop `hotline run` runs on.  asyncio is the default: the combined-load
    # benchmark (python -m bench combined) measures both, the README quotes the figures.
    loop: LoopKind = LoopKind.ASYNCIO
