"""The console behind nginx (issue 24, item 1): X-Forwarded-For and X-Forwarded-Proto count
only on connections from `web.trusted_proxies`; from anyone else they are ignored."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from hotline.settings import Settings, SettingsError, load_settings
from hotline.store.audit import AuditLog
from hotline.store.db import Database
from hotline.web.app import create_app
from tests.web.conftest import PASSWORD, console_settings, hidden, seed_users

PROXY = ("127.0.0.1", 41000)
CALLER = "203.0.113.7"


def _behind_proxy(tmp_path: Path, trusted: list[str]) -> Settings:
    base = console_settings(tmp_path)
    settings = base.model_copy(
        update={"web": base.web.model_copy(update={"trusted_proxies": trusted})}
    )
    asyncio.run(seed_users(settings))
    return settings


def _log_in_source(settings: Settings, client_address: tuple[str, int]) -> str:
    with TestClient(create_app(settings), base_url="http://127.0.0.1", client=client_address) as c:
        forwarded = {"X-Forwarded-For": CALLER, "X-Forwarded-Proto": "https"}
        form = c.get("/login", headers=forwarded)
        response = c.post(
            "/login",
            data={
                "name": "anna",
                "password": PASSWORD,
                "csrf_token": hidden(form.text, "csrf_token"),
            },
            headers=forwarded,
            follow_redirects=False,
        )
        assert response.status_code == 303

    async def source() -> str:
        async with Database.from_settings(settings) as db:
            return (await AuditLog(db).entries())[0].source or ""

    return asyncio.run(source())


def test_the_proxy_s_forwarded_client_address_is_the_one_recorded(tmp_path: Path) -> None:
    settings = _behind_proxy(tmp_path, ["127.0.0.1", "::1"])
    assert _log_in_source(settings, PROXY) == CALLER


def test_forwarded_headers_from_anyone_else_are_ignored(tmp_path: Path) -> None:
    settings = _behind_proxy(tmp_path, ["127.0.0.1"])
    assert _log_in_source(settings, ("198.51.100.2", 41000)) == "198.51.100.2"


def test_without_trusted_proxies_forwarded_headers_are_ignored(tmp_path: Path) -> None:
    settings = _behind_proxy(tmp_path, [])
    assert _log_in_source(settings, PROXY) == "127.0.0.1"


def test_trusted_proxies_must_be_addresses() -> None:
    with pytest.raises(SettingsError, match=r"web\.trusted_proxies"):
        load_settings(overrides={"web": {"trusted_proxies": ["nginx.local"]}}, environ={})
