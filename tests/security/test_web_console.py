"""Attacks on the web console, run as its own process (`hotline web`): parallel password
guesses (M3), an event stream outliving its user (M4)."""

from __future__ import annotations

import asyncio
import re
import sys
from pathlib import Path

import httpx2 as httpx
import pytest

from hotline.settings import Settings, load_settings
from hotline.store.audit import AuditLog
from hotline.store.db import Database
from tests.e2e.web_support import web_console
from tests.web.conftest import PASSWORD

pytestmark = [pytest.mark.e2e]

MAX_FAILED = 5
RECHECK_SECONDS = 1.0


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return load_settings(
        overrides={
            "store": {"url": f"sqlite+aiosqlite:///{tmp_path / 'console.db'}"},
            "web": {"max_failed_logins": MAX_FAILED},
            "sandbox": {"enabled": False},
        }
    )


async def login_token(client: httpx.AsyncClient) -> str:
    page = await client.get("/login")
    found = re.search(r'name="csrf_token" value="([^"]*)"', page.text)
    assert found
    return found.group(1)


async def test_fifty_parallel_wrong_logins_check_at_most_the_limit(settings: Settings) -> None:
    async with (
        web_console(settings) as url,
        httpx.AsyncClient(base_url=url, timeout=60) as client,
    ):
        token = await login_token(client)
        form = {"name": "vera", "csrf_token": token}
        replies = await asyncio.gather(
            *(client.post("/login", data={**form, "password": f"wrong-{n}"}) for n in range(50))
        )
    assert {reply.status_code for reply in replies} == {401}
    async with Database.from_settings(settings) as db:
        entries = await AuditLog(db).entries()
    checked = [e for e in entries if e.action == "login.failed" and e.target == "vera"]
    assert 1 <= len(checked) <= MAX_FAILED


async def log_in(client: httpx.AsyncClient, name: str) -> None:
    token = await login_token(client)
    reply = await client.post(
        "/login", data={"name": name, "password": PASSWORD, "csrf_token": token}
    )
    assert reply.status_code == 303, reply.text


async def hotline_cli(settings: Settings, *args: str) -> None:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "hotline.cli", "--set", f"store.url={settings.database_url}", *args
    )
    assert await proc.wait() == 0


@pytest.mark.parametrize("path", ["/operator/stream", "/wallboard/stream"])
async def test_an_open_stream_ends_when_its_user_is_disabled(
    settings: Settings, path: str
) -> None:
    async with (
        web_console(settings, f"web.stream_recheck_seconds={RECHECK_SECONDS}") as url,
        httpx.AsyncClient(base_url=url, timeout=60) as client,
    ):
        await log_in(client, "anna")
        async with client.stream("GET", path) as stream:
            assert stream.status_code == 200
            lines = stream.aiter_lines()
            while not (await anext(lines)).startswith("data:"):
                pass  # the first event arrived: the stream is live
            await hotline_cli(settings, "users", "disable", "anna")
            # Ends within a few re-check intervals (without the check it never ends).
            async with asyncio.timeout(RECHECK_SECONDS * 5 + 5):
                async for _line in lines:
                    pass
