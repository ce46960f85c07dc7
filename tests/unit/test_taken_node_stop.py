"""A taken node's stop is bounded (issue 20): the lease keeper awaits it, and a keeper held by
a part that never ends renews no lease and takes no node over (a clean-clone run: after a
hand-back at start the keeper renewed nothing again, and the dead owner's node was never
taken over)."""

from __future__ import annotations

import asyncio
import logging
from types import SimpleNamespace
from typing import Any, cast

import pytest

from dialer import taken_node
from dialer.engine import Dialer
from dialer.taken_node import TakenNode
from hotline.protocol.ami import AmiEvent
from hotline.transport.ami import AmiClient


class StubbornDialer:
    """A dialler whose run ignores being cancelled until the test lets it go."""

    worker = SimpleNamespace(node="n2")

    def __init__(self) -> None:
        self.released = asyncio.Event()

    async def run(self) -> None:
        while not self.released.is_set():
            try:
                await self.released.wait()
            except asyncio.CancelledError:
                continue
        raise asyncio.CancelledError  # let go: ends as a cancelled task does

    async def adopt(self, _known: Any) -> None:
        return None


class Ami:
    connected = True
    stopped = False

    async def start(self, wait: bool = True) -> None:
        return None

    async def stop(self) -> None:
        self.stopped = True

    def subscribe(self, _names: Any) -> list[AmiEvent]:
        return []


async def test_a_part_that_ignores_its_cancel_does_not_hold_the_stop(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(taken_node, "STOP_SECONDS", 0.2)
    ami, dialer = Ami(), StubbornDialer()
    driver = TakenNode(cast(AmiClient, ami), cast(Dialer, dialer), adopt_every=60.0)
    await driver.start()
    await asyncio.sleep(0)
    try:
        with caplog.at_level(logging.ERROR, logger="dialer.taken_node"):
            async with asyncio.timeout(10):
                await driver.stop()
        assert ami.stopped
        assert any("dialer-n2 did not stop" in r.getMessage() for r in caplog.records)
    finally:
        dialer.released.set()
        await asyncio.sleep(0.05)
