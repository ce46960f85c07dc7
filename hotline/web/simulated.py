"""Test calls visible on purpose (issue 18 item 3): the console's figures leave simulated
calls (the simulator's, the demo's synthetic history) out unless the page's «включая тестовые
звонки» switch is on, and say how many they left out.  The switch is off by default;
``web.include_simulated`` turns it on by default (the demo's console does)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from fastapi import Request

from hotline.store.calllog import CallLog

# The query parameter of the switch: "1" on, "0" off; absent: ``web.include_simulated``.
PARAM = "test"


@dataclass(frozen=True)
class SimulatedCalls:
    """Whether a page's figures include test calls, and how many test calls its period has."""

    included: bool
    count: int

    @property
    def left_out(self) -> int:
        return 0 if self.included else self.count

    @property
    def query(self) -> str:
        """The switch as a query string pair, for links and the live stream."""
        return f"{PARAM}={int(self.included)}"


def included(request: Request, test: bool | None) -> bool:
    """The page's switch: as asked, else the installation's default."""
    if test is not None:
        return test
    return bool(request.app.state.settings.web.include_simulated)


async def simulated_calls(
    request: Request, test: bool | None, start: datetime, end: datetime
) -> SimulatedCalls:
    """The switch and the number of test calls started in ``[start, end)``."""
    count = await CallLog(request.app.state.db).simulated_count(start, end)
    return SimulatedCalls(included(request, test), count)
