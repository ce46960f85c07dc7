"""The console as its own process (`hotline web`), for browser tests."""

from __future__ import annotations

import asyncio
import os
import socket
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from hotline.settings import Settings
from tests.e2e.engine_support import wait_for_port
from tests.log_audit import log_file
from tests.web.conftest import seed_users

CHROMIUM = "/usr/bin/chromium"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@asynccontextmanager
async def web_console(settings: Settings, *extra: str) -> AsyncIterator[str]:
    """`hotline web` on a free port over ``settings``' store, with one user per role; yields
    its base URL.  ``extra`` are more ``section.key=value`` settings."""
    await seed_users(settings)
    port = free_port()
    argv = [sys.executable, "-m", "hotline.cli"]
    for pair in (f"store.url={settings.database_url}", f"web.port={port}", *extra):
        argv += ["--set", pair]
    # Its log goes to the session's log folder, which the log audit greps (issue 14, M7).
    with log_file("console").open("wb") as sink:
        proc = await asyncio.create_subprocess_exec(
            *argv, "web", env=dict(os.environ), stdout=sink, stderr=sink
        )
    try:
        await wait_for_port("127.0.0.1", port)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        await proc.wait()
