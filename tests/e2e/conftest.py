"""Fixtures for end-to-end tests against the real Asterisk 22 sandbox.

The sandbox is brought up once per session and left running: later tests (and the next
session) share it, and ``up`` is idempotent. When it cannot start, tests error; they never skip.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from hotline.app import Engine
from hotline.sandbox import Sandbox
from hotline.settings import Settings, load_settings


@pytest.fixture
def settings() -> Settings:
    return load_settings()


@pytest.fixture(scope="session")
def sandbox() -> Sandbox:
    # Its own settings, not the `settings` fixture: test modules override that one per test.
    box = Sandbox(load_settings(), progress=lambda line: print(f"sandbox: {line}"))
    box.up()
    return box


@pytest.fixture(scope="session", autouse=True)
def built_prompts() -> None:
    """The catalogue and readout fragments rendered in the configured voice, as the engine
    needs them (cold on a fresh machine, a manifest check when the cache is warm)."""
    from hotline.speech.library import PromptLibrary

    asyncio.run(PromptLibrary(load_settings()).build())


@pytest.fixture
async def engine(settings: Settings) -> AsyncIterator[Engine]:
    """The engine on the test module's ``settings``, connected to the sandbox's AMI."""
    engine = Engine(settings)
    await engine.start()
    await engine.ami.wait_connected(10)
    try:
        yield engine
    finally:
        await engine.stop()


@pytest.fixture
async def console(settings: Settings) -> AsyncIterator[str]:
    """`hotline web` over the test module's ``settings`` (live figures include simulated
    calls and redraw quickly); its base URL."""
    from tests.e2e.web_support import web_console

    async with web_console(
        settings,
        "web.include_simulated=true",
        "web.wallboard_min_interval=0.2",
        "web.wallboard_refresh_seconds=2",
    ) as url:
        yield url
