"""A console app on a fresh SQLite file, with one user per role."""

from __future__ import annotations

import asyncio
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from hotline.access.users import Role, Users
from hotline.settings import Settings, load_settings
from hotline.store.audit import Actor
from hotline.store.db import Database, head_revision
from hotline.web.app import create_app
from tests import db_template

PASSWORD = "correct horse battery"
# Head revision -> a database seeded by _seed_users, per process.
_SEEDED: dict[str | None, Path] = {}
ROLES = {"anna": Role.OPERATOR, "boris": Role.SUPERVISOR, "vera": Role.ADMIN}


def console_settings(tmp_path: Path) -> Settings:
    return load_settings(
        overrides={
            "store": {"url": f"sqlite+aiosqlite:///{tmp_path / 'hotline.db'}"},
            "web": {"max_failed_logins": 3},
            "paths": {"recordings_dir": str(tmp_path / "recordings")},
            # No AMI secret, so no PBX connection: these tests are about the web layer.
            "sandbox": {"enabled": False},
        }
    )


async def seed_users(settings: Settings) -> None:
    """The schema and one user per role.  A new SQLite file gets a copy of a database seeded
    once per process (three argon2 hashes and the migrations cost a CPU-second per test;
    issue 19), anything else is seeded here."""
    target = db_template.new_sqlite_file(settings.database_url)
    if target is None:
        await _seed_users(settings)
        return
    head = await head_revision()
    template = _SEEDED.get(head)
    if template is None:
        folder = Path(tempfile.mkdtemp(prefix="hotline-web-template-"))
        await _seed_users(console_settings(folder))
        template = _SEEDED[head] = folder / "hotline.db"
    if db_template.new_sqlite_file(settings.database_url) == target:
        db_template.copy_into(template, target)
    else:
        await _seed_users(settings)


async def _seed_users(settings: Settings) -> None:
    async with Database.from_settings(settings) as db:
        await db.upgrade()
        users = Users(db, settings.web)
        for name, role in ROLES.items():
            await users.add(name, role, PASSWORD, Actor("setup", "cli"))


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    settings = console_settings(tmp_path)
    asyncio.run(seed_users(settings))
    return settings


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings), base_url="http://127.0.0.1") as client:
        yield client


def hidden(html: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert found, f"no hidden field {name}"
    return found.group(1)


def log_in(client: TestClient, name: str, password: str = PASSWORD) -> str:
    """Log in through the form; returns the session's CSRF token."""
    form = client.get("/login")
    response = client.post(
        "/login",
        data={"name": name, "password": password, "csrf_token": hidden(form.text, "csrf_token")},
    )
    assert response.status_code == 200, response.text
    return hidden(response.text, "csrf_token")
