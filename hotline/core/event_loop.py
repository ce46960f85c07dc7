"""Which event loop a process runs on (``[engine] loop``, issue 19 item 6)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from hotline.settings.engine import LoopKind

LoopFactory = Callable[[], asyncio.AbstractEventLoop]


def loop_factory(kind: LoopKind) -> LoopFactory | None:
    """The factory for ``asyncio.Runner`` (None: the standard library's default loop)."""
    if kind is LoopKind.UVLOOP:
        import uvloop  # only when chosen: the default path does not load libuv

        return uvloop.new_event_loop
    return None
