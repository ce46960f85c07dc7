"""The soak's console poller counts a console that went away mid-answer as one failed poll and
goes on: an IncompleteRead (the console restarted by a fault while it sent a page) ended an
hour's soak at 40 minutes (the load's task group failed with it)."""

from __future__ import annotations

import asyncio
import http.client
import time
from typing import Any

import pytest

from bench.soak import load
from bench.soak.load import ConsoleStats, console_poller


class Enough(Exception):
    pass


async def test_a_page_cut_short_is_one_failed_poll(monkeypatch: pytest.MonkeyPatch) -> None:
    answers: list[Exception | str] = [http.client.IncompleteRead(b"", 5755), ""]

    def session(*_: Any) -> object:
        return object()

    def poll(*_: Any) -> str:
        answer = answers.pop(0) if answers else ""
        if isinstance(answer, Exception):
            raise answer
        return answer

    async def no_wait(_: float) -> None:
        if not answers:
            raise Enough  # two polls made: the test ends the loop here

    monkeypatch.setattr(load, "_console_session", session)
    monkeypatch.setattr(load, "_poll_once", poll)
    monkeypatch.setattr(asyncio, "sleep", no_wait)
    stats = ConsoleStats()
    with pytest.raises(Enough):
        await console_poller("http://127.0.0.1:1", "sup", "pw", time.monotonic() + 600, stats)
    assert stats.failed == {"IncompleteRead": 1}
    assert stats.ok == 1
