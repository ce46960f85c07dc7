"""Exports written as they are read: a CSV or XLSX stream goes to a file (or standard
output) piece by piece, so the command's memory stays flat whatever the table's size."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterable, AsyncIterator, Sequence
from pathlib import Path
from typing import Generic, TypeVar

Item = TypeVar("Item")


async def write_stream(stream: AsyncIterator[bytes], target: Path | None) -> None:
    """Every piece of ``stream`` to ``target`` (None: standard output), off the event loop;
    the stream is closed even if a write fails (its temporary file goes)."""
    out = sys.stdout.buffer if target is None else await asyncio.to_thread(target.open, "wb")
    try:
        async for piece in stream:
            await asyncio.to_thread(out.write, piece)
        await asyncio.to_thread(out.flush)
    finally:
        await _close(stream)
        if target is not None:
            await asyncio.to_thread(out.close)


async def _close(stream: AsyncIterator[bytes]) -> None:
    aclose = getattr(stream, "aclose", None)
    if aclose is not None:
        await aclose()


class Counted(Generic[Item]):
    """Pages passed through unchanged, counting their items (for the closing summary)."""

    def __init__(self, pages: AsyncIterable[Sequence[Item]]) -> None:
        self._pages = pages
        self.count = 0

    async def __aiter__(self) -> AsyncIterator[Sequence[Item]]:
        async for page in self._pages:
            self.count += len(page)
            yield page
