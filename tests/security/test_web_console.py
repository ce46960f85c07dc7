"""Attacks on the web console, run as its own process (`hotline web`): parallel password
guesses (M3)."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import httpx2 as httpx
import pytest

from hotline.settings import Settings, load_settings
from hotline.store.audit import AuditLog
from hotline.store.db import Database
from tests.e2e.web_support import web_console

pytestmark = [pytest.mark.e2e]

MAX_FAILED = 5


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
