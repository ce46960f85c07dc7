"""The engine process itself (issue 19 items 1 and 6; no seed requirement: the seeds say what
callers get, not how the process schedules its work)."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, Field

from hotline.settings.base import SECTION_CONFIG


class LoopKind(StrEnum):
    ASYNCIO = "asyncio"  # the standard library's loop
    UVLOOP = "uvloop"  # libuv's: less work per callback and per socket read


class EngineSettings(BaseModel):
    model_config = SECTION_CONFIG

    # The event loop `hotline run` runs on.  asyncio is the default: the combined-load
    # benchmark (python -m bench combined) measures both, the README quotes the figures.
    loop: LoopKind = LoopKind.ASYNCIO
    # How far below Asterisk `hotline run` puts its CPU priority (the process's nice, its
    # session's when it leads one, and the systemd unit's CPUWeight= from deploy render):
    # when both want a core, Asterisk's media goes first (hotline/core/priority.py).  0 (the
    # default): the PBX's own priority.  Measured on 2 cores (README, "The engine below the
    # PBX"): no capacity gained with the levels in dialplan, and with the engine walking the
    # levels (the default ivr.levels) every key waits for the engine, which a lower priority
    # makes wait for a core too.
    nice: int = Field(default=0, ge=0, le=19)
