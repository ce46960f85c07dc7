"""The demo's last scene: the browser console on the demo's store, with a supervisor to log in
as.  On a terminal it keeps serving until Ctrl+C; otherwise (CI) it checks the console answers
and stops."""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import signal
import socket
import sys
import urllib.request
from typing import Final

import uvicorn
from rich.console import Console

from hotline.access.users import Role, UserError, Users
from hotline.cli.support import current_user
from hotline.settings import Settings
from hotline.store.audit import Actor
from hotline.store.db import Database
from hotline.web.app import create_app

DEMO_USER: Final = "demo"
START_TIMEOUT: Final = 20.0


def _port_free(host: str, port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind((host, port))
        except OSError:
            return False
        return True


def _free_port(host: str) -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


async def _demo_user(settings: Settings) -> str:
    """A supervisor ``demo`` with a fresh random password (printed, never stored in clear)."""
    password = secrets.token_urlsafe(12)
    async with Database.from_settings(settings) as db:
        await db.upgrade()
        users = Users(db, settings.web)
        by = Actor(current_user(), "cli")
        try:
            await users.add(DEMO_USER, Role.SUPERVISOR, password, by)
        except UserError:
            await users.set_password(DEMO_USER, password, by)
            await users.unlock(DEMO_USER, by)
    return password


def _answers(url: str) -> bool:
    with contextlib.suppress(OSError), urllib.request.urlopen(url, timeout=2) as response:
        return bool(response.status == 200)
    return False


async def console_scene(settings: Settings, console: Console) -> int:
    console.rule("The supervisors' and operators' console")
    web = settings.web
    port = web.port if _port_free(web.host, web.port) else _free_port(web.host)
    if port != web.port:
        console.print(f"[yellow]port {web.port} is taken; the console uses {port}[/]")
    # The demo's calls are all simulated: let the console count them.
    demo_web = web.model_copy(update={"port": port, "include_simulated": True})
    demo_settings = settings.model_copy(update={"web": demo_web})
    password = await _demo_user(demo_settings)
    server = uvicorn.Server(
        uvicorn.Config(create_app(demo_settings), host=web.host, port=port, log_config=None)
    )
    serving = asyncio.create_task(server.serve(), name="demo-console")
    url = f"http://{web.host}:{port}/"
    try:
        async with asyncio.timeout(START_TIMEOUT):
            while not await asyncio.to_thread(_answers, url + "login"):
                if serving.done():
                    break
                await asyncio.sleep(0.2)
    except TimeoutError:
        pass
    if serving.done() or not await asyncio.to_thread(_answers, url + "login"):
        console.print(f"[red]the console did not answer on {url}[/]")
        server.should_exit = True
        await serving
        return 1
    console.print(
        f"Console: [bold]{url}[/]  (log in as [bold]{DEMO_USER}[/], password {password})"
    )
    console.print(
        "Pages: /wallboard, /operator, /calls, /recordings, /campaigns, /reports/queue, "
        "/reports/ivr"
    )
    if sys.stdin.isatty():
        console.print("The console keeps running: press Ctrl+C to end the demo.")
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        loop.add_signal_handler(signal.SIGINT, stop.set)
        try:
            await stop.wait()
        finally:
            loop.remove_signal_handler(signal.SIGINT)
    server.should_exit = True
    await serving
    return 0
