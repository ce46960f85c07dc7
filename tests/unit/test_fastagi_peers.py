"""L9: the FastAGI server serves only its allowed peers, and only so many at a time.

The real server on loopback; 127.0.0.2 (also the loopback on Linux) plays a foreign host.
A refused connection is closed before the server sends anything, and no handler runs.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from hotline.dialplan.names import ChannelVar, IvrStatus
from hotline.settings import FastAgiSettings
from hotline.transport.fastagi import AgiCall, AgiRoutes, FastAgiServer
from tests.fakes.agi_client import FakeAsterisk, asterisk_header

BOUND = 10.0
FOREIGN = "127.0.0.2"
CALLER = "79131234567"


@contextlib.asynccontextmanager
async def serving(
    handler: Any, extra_peers: tuple[str, ...] = (), **overrides: Any
) -> AsyncIterator[FastAgiServer]:
    routes = AgiRoutes()
    routes.add("ivr", handler)
    values: dict[str, Any] = {"port": 0, "header_timeout": 0.5, "shutdown_grace": 0.5}
    values.update(overrides)
    async with FastAgiServer(FastAgiSettings(**values), routes, extra_peers) as server:
        yield server


async def _done(call: AgiCall) -> None:
    await call.set_variable(ChannelVar.STATUS, IvrStatus.DONE)


async def _unheard(port: int, source: str) -> bytes:
    """Connect from ``source``, send a full AGI header, return all the server sent before it
    closed the connection."""
    async with asyncio.timeout(BOUND):
        reader, writer = await asyncio.open_connection("127.0.0.1", port, local_addr=(source, 0))
        header = asterisk_header(channel=f"Local/{CALLER}@hotline-sim-caller-00000001;2")
        writer.write("".join(f"{line}\n" for line in header).encode() + b"\n")
        with contextlib.suppress(ConnectionError):
            await writer.drain()
        received = b""
        with contextlib.suppress(ConnectionError):
            while chunk := await reader.read(65536):
                received += chunk
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()
        return received


@pytest.fixture
def warnings() -> Iterator[list[str]]:
    lines: list[str] = []

    class _Capture(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if record.levelno >= logging.WARNING:
                lines.append(record.getMessage())

    capture = _Capture()
    logger = logging.getLogger("hotline.transport.fastagi")
    logger.addHandler(capture)
    try:
        yield lines
    finally:
        logger.removeHandler(capture)


async def test_a_foreign_peer_is_closed_before_any_command(warnings: list[str]) -> None:
    handled: list[str] = []

    async def handler(call: AgiCall) -> None:
        handled.append(call.env.uniqueid)
        await _done(call)

    async with serving(handler) as server:
        assert await _unheard(server.bound_port, FOREIGN) == b""
        # The loopback Asterisk is still served.
        asterisk = await FakeAsterisk(server.bound_port).run(BOUND)
    assert handled == [asterisk.uniqueid]
    assert asterisk.set_variables == {"HOTLINE_STATUS": "DONE"}
    [warning] = warnings
    assert FOREIGN in warning and "allowed_peers" in warning
    assert CALLER not in warning


async def test_a_configured_peer_is_served() -> None:
    async with serving(_done, allowed_peers=["127.0.0.1"], extra_peers=(FOREIGN,)) as server:
        async with asyncio.timeout(BOUND):
            reader, writer = await asyncio.open_connection(
                "127.0.0.1", server.bound_port, local_addr=(FOREIGN, 0)
            )
            asterisk = FakeAsterisk(server.bound_port)
            await asterisk.converse(reader, writer)
    assert asterisk.set_variables == {"HOTLINE_STATUS": "DONE"}


async def test_a_network_in_the_setting_is_served() -> None:
    async with serving(_done, allowed_peers=["127.0.0.0/29"]) as server:
        async with asyncio.timeout(BOUND):
            reader, writer = await asyncio.open_connection(
                "127.0.0.1", server.bound_port, local_addr=(FOREIGN, 0)
            )
            asterisk = FakeAsterisk(server.bound_port)
            await asterisk.converse(reader, writer)
    assert asterisk.set_variables == {"HOTLINE_STATUS": "DONE"}


async def test_sessions_over_the_cap_are_closed_before_any_command(
    warnings: list[str],
) -> None:
    release = asyncio.Event()
    started = asyncio.Event()

    async def held(call: AgiCall) -> None:
        started.set()
        await release.wait()
        await _done(call)

    async with serving(held, max_sessions=1) as server:
        first = asyncio.create_task(FakeAsterisk(server.bound_port).run(BOUND))
        async with asyncio.timeout(BOUND):
            await started.wait()
        assert server.active_sessions == 1
        assert await _unheard(server.bound_port, "127.0.0.1") == b""
        assert server.active_sessions == 1
        release.set()
        assert (await first).set_variables == {"HOTLINE_STATUS": "DONE"}
        # Once the first session has ended, the next call is served again.
        started.clear()
        release.set()
        again = await FakeAsterisk(server.bound_port).run(BOUND)
    assert again.set_variables == {"HOTLINE_STATUS": "DONE"}
    [warning] = warnings
    assert "max_sessions" in warning


def test_the_defaults_allow_the_loopback_only_and_cap_sessions() -> None:
    settings = FastAgiSettings()
    assert settings.allowed_peers == ["127.0.0.1/32", "::1/128"]
    assert 0 < settings.max_sessions <= 1000
