"""Ctrl-C (SIGINT) during the soak (issue 21): the first one ends the load early, then the
auditor runs on what there is and the partial report is printed before everything is torn
down; a second one aborts at once (KeyboardInterrupt: still torn down).  Python 3.11's
asyncio.run waits without a bound for its worker threads, and a Ctrl-C that only cancelled
the load left the run waiting on them and on a world half broken by the fault in progress."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import time
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, Final, TypeVar

T = TypeVar("T")

# After an interruption: how long the load's pieces get to end, and the world to serve again.
LOAD_END_SECONDS: Final = 20.0
RECOVER_SECONDS: Final = 60.0


class Interrupt:
    """SIGINT handling for the soak's event loop (install inside it)."""

    def __init__(self, say: Callable[[str], None]) -> None:
        self.requested = False
        self.at: float | None = None  # when (monotonic) the first one came
        self._say = say
        self._event = asyncio.Event()

    def install(self) -> None:
        asyncio.get_running_loop().add_signal_handler(signal.SIGINT, self.request)

    def uninstall(self) -> None:
        with contextlib.suppress(RuntimeError):
            asyncio.get_running_loop().remove_signal_handler(signal.SIGINT)

    def request(self) -> None:
        if self.requested:
            raise KeyboardInterrupt  # the second Ctrl-C: abort (everything is still undone)
        self.requested = True
        self.at = time.monotonic()
        self._say(
            "interrupted: ending the load; the audit and the report follow (Ctrl-C again to abort)"
        )
        self._event.set()

    async def wait(self) -> None:
        await self._event.wait()


async def run_until_interrupted(
    work: Coroutine[Any, Any, T], interrupt: Interrupt, end_within: float = LOAD_END_SECONDS
) -> T | None:
    """``work``'s result, or None when the interrupt came first (``work`` cancelled and given
    ``end_within`` seconds to end)."""
    task = asyncio.ensure_future(work)
    stop = asyncio.ensure_future(interrupt.wait())
    try:
        await asyncio.wait({task, stop}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stop.cancel()
    if task.done():
        return task.result()
    task.cancel()
    await asyncio.wait({task}, timeout=end_within)
    return None


async def bounded(step: Awaitable[T], seconds: float, say: Callable[[str], None]) -> T | None:
    """``step``'s result, or None (said) if it took longer than ``seconds``."""
    try:
        async with asyncio.timeout(seconds):
            return await step
    except TimeoutError:
        say(f"gave up after {seconds:g} s; auditing what there is")
        return None
