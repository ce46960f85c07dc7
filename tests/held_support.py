"""Held-writes test support: a holder's writer running for a block, then killed."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

from hotline.store.held_rows import HeldRows


@contextlib.asynccontextmanager
async def writing(held: HeldRows[Any]) -> AsyncIterator[None]:
    """``held``'s writer of held rows; leaving the block kills it (no stop, as a SIGKILL)."""
    task = asyncio.create_task(held.run())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
