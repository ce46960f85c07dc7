"""``hotline outages add/list/close`` through the real command against a SQLite file: audited,
and once console users exist only a dispatcher or a supervisor registers or closes one."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from hotline.store.db import Database
from hotline.store.models import AuditEntry
from tests.cli_support import hermetic_store_url, run_hotline
from tests.store.test_campaign_cli import _console_users


@pytest.fixture
def url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    yield from hermetic_store_url(tmp_path, monkeypatch)


def listed(url: str, *args: str) -> list[dict[str, object]]:
    code, out, err = run_hotline(url, "outages", "list", "--json", *args)
    assert code == 0, err
    data: list[dict[str, object]] = json.loads(out)
    return data


def audit(url: str) -> list[tuple[str, str, str | None]]:
    async def work() -> list[tuple[str, str, str | None]]:
        async with Database(url) as db, db.session() as session:
            rows = await session.scalars(select(AuditEntry).order_by(AuditEntry.id))
            return [(r.actor, r.action, r.target) for r in rows]

    return asyncio.run(work())


def test_add_list_close(url: str) -> None:
    code, out, err = run_hotline(
        url,
        *("outages", "add", "--cause", "Авария на подстанции", "--restore", "2026-12-03 14:30"),
        *("--place", "г. Красноярск, ул. Ленина", "--place", "Кызыл", "--by", "anna"),
        settings=("hours.timezone=Asia/Krasnoyarsk",),
    )
    assert code == 0, err
    assert "outage 1 registered" in out
    [outage] = listed(url)
    assert outage["places"] == ["г. Красноярск, ул. Ленина", "Кызыл"]
    assert outage["restore_at"] == "2026-12-03T07:30:00+00:00"  # 14:30 Krasnoyarsk

    code, _, err = run_hotline(url, "outages", "close", "1", "--by", "anna")
    assert code == 0, err
    assert listed(url) == []
    assert [o["closed_by"] for o in listed(url, "--all")] == ["anna"]
    assert audit(url) == [("anna", "outage.add", "1"), ("anna", "outage.close", "1")]
    code, _, err = run_hotline(url, "outages", "close", "7", "--by", "anna")
    assert code == 1 and "no outage 7" in err


def test_area_is_required(url: str) -> None:
    code, _, err = run_hotline(
        url, "outages", "add", "--cause", "Гроза", "--restore", "2026-12-03 14:30"
    )
    assert code != 0 and "area" in err
    assert listed(url) == []


def test_only_dispatchers_and_supervisors_once_users_exist(url: str) -> None:
    run_hotline(url, "outages", "list")  # creates the schema
    _console_users(url, {"olga": "operator", "dima": "dispatcher", "sveta": "supervisor"})
    add = ("outages", "add", "--cause", "Гроза", "--restore", "2026-12-03 14:30")
    code, _, err = run_hotline(url, *add, "--account", "100000000001", "--by", "olga")
    assert code != 0 and "may not register outages" in err
    code, _, err = run_hotline(url, *add, "--account", "100000000001", "--by", "dima")
    assert code == 0, err
    code, _, err = run_hotline(url, "outages", "close", "1", "--by", "olga")
    assert code != 0 and "may not" in err
    code, _, err = run_hotline(url, "outages", "close", "1", "--by", "sveta")
    assert code == 0, err
    assert [a for _, a, _ in audit(url) if a.startswith("outage.")] == [
        "outage.add",
        "outage.close",
    ]
