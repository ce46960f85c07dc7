"""Fixtures for end-to-end tests against the real Asterisk 22 sandbox.

The sandbox is brought up once per session (``up`` is idempotent: a running one is reused)
and taken down at the session's end, its mounts with it.  Under pytest-xdist each worker has
its own instance (tests/xdist_support.py) over the chroot built once.  When it cannot start,
tests error; they never skip.
"""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from hotline.app import Engine
from hotline.sandbox import Sandbox
from hotline.settings import Settings, load_settings
from tests.bed_warmup import build_prompts


@pytest.fixture
def settings() -> Settings:
    return load_settings()


@pytest.fixture(autouse=True)
def _own_held_writes_spool(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test's engines (in the process or started from it) spool held writes in a folder
    of the test's own (issue 21): a spool one test left (its engine stopped while its store was
    down) is never replayed by another test's engine whose store has the same URL (a private
    PostgreSQL on a reused port)."""
    monkeypatch.setenv("HOTLINE_HELD_WRITES__SPOOL_DIR", str(tmp_path / "held"))


@pytest.fixture(scope="session")
def sandbox() -> Iterator[Sandbox]:
    # Its own settings, not the `settings` fixture: test modules override that one per test.
    box = Sandbox(load_settings(), progress=lambda line: print(f"sandbox: {line}"))
    box.up()
    try:
        yield box
    finally:
        box.down()  # stops Asterisk and unmounts /proc, /dev, sounds, recordings (, overlay)


@pytest.fixture(scope="session", autouse=True)
def built_prompts() -> None:
    """The catalogue and readout fragments rendered in the configured voice, as the engine
    needs them (cold on a fresh machine, a manifest check when the cache is warm).  One
    xdist worker (or the controller's warm-up, tests/bed_warmup.py) builds while the others
    wait, then find them built."""
    build_prompts()


@pytest.fixture(autouse=True)
def _short_prompts(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Under ``pytest.mark.short_prompts`` the test's settings, and those of the engines and
    CLIs it starts, play the short prompts (``tests/e2e/short_prompts.py``).  Autouse, so it
    comes before the module's ``settings``; after the sandbox, which shares the whole sounds
    root with Asterisk whatever the first test of a worker asks for."""
    if request.node.get_closest_marker("short_prompts") is None:
        return
    from tests.e2e.short_prompts import short_sounds_root

    request.getfixturevalue("sandbox")
    monkeypatch.setenv("HOTLINE_SPEECH__SOUNDS_DIR", str(short_sounds_root()))


@pytest.fixture
async def engine(settings: Settings, sandbox: Sandbox) -> AsyncIterator[Engine]:
    """The engine on the test module's ``settings``, connected to the sandbox's AMI (the
    sandbox asked for here: a module that forgot it worked only after another test on its
    worker had started it).  Stopped whatever happens: an engine left running keeps its
    FastAGI port, and every later test of the worker fails to bind it."""
    engine = Engine(settings)
    await engine.start()
    try:
        await engine.ami.wait_connected(10)
        yield engine
    finally:
        await stopped_within(engine, ENGINE_STOP_SECONDS)


# Far above a loaded engine's stop (seconds): a stop that hangs fails its test with every task's
# stack, where it used to hold the worker, and the whole run, until CI's deadline.
ENGINE_STOP_SECONDS = 60.0


async def stopped_within(engine: Engine, seconds: float) -> None:
    try:
        async with asyncio.timeout(seconds):
            await engine.stop()
    except TimeoutError:
        pytest.fail(
            f"engine.stop() did not end within {seconds:g} s; the tasks still pending:\n"
            + pending_tasks(),
            pytrace=False,
        )


def pending_tasks() -> str:
    """Every pending task of the running loop with its stack (what a hung stop waits for)."""
    out = io.StringIO()
    for task in asyncio.all_tasks():
        if task is not asyncio.current_task():
            out.write(f"--- {task!r}"[:400] + "\n")
            task.print_stack(limit=12, file=out)
    return out.getvalue()


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
