"""Is an engine already serving FastAGI?  Asked by the call simulator and the menu editor's
trial call before they start an engine of their own."""

from __future__ import annotations

import asyncio
import contextlib

from hotline.settings import Settings

__all__ = ["fastagi_listening"]


async def fastagi_listening(settings: Settings, within: float = 1.0) -> bool:
    """Is an engine already serving FastAGI at the configured address?"""
    try:
        async with asyncio.timeout(within):
            _reader, writer = await asyncio.open_connection(
                settings.fastagi.host, settings.fastagi.port
            )
    except (OSError, TimeoutError):
        return False
    writer.close()
    with contextlib.suppress(OSError):
        await writer.wait_closed()
    return True
