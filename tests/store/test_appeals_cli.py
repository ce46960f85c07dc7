"""``hotline appeals list/show/export`` through the real command against a SQLite file: the
same register as the console, personal data by role once console users exist (R-139), views
audited, the register and its counts exported as CSV and XLSX (R-142, R-145)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from hotline.appeals.register import AppealRequest, Appeals
from hotline.settings import AppealSettings
from hotline.store.audit import Actor
from hotline.store.db import Database
from hotline.store.enums import AppealChannel, ReplyChannel
from hotline.store.models import AuditEntry
from tests.cli_support import hermetic_store_url, run_hotline
from tests.store.test_campaign_cli import _console_users

PHONE = "+79001234567"


@pytest.fixture
def url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    yield from hermetic_store_url(tmp_path, monkeypatch)


def seed(url: str) -> list[str]:
    async def work() -> list[str]:
        async with Database(url) as db:
            await db.upgrade()
            register = Appeals(db, AppealSettings(), "Asia/Krasnoyarsk")
            numbers = []
            for category, topic in (("complaint", "quality"), ("question", "bills")):
                appeal = await register.register(
                    AppealRequest(
                        channel=AppealChannel.OPERATOR,
                        category=category,
                        topic=topic,
                        subject="Тема",
                        phone=PHONE,
                        reply_channel=ReplyChannel.PHONE,
                    ),
                    Actor("anna", "web"),
                    at=datetime(2026, 5, 8, 5, 0, tzinfo=UTC),
                )
                numbers.append(appeal.number)
            return numbers

    return asyncio.run(work())


def actions(url: str) -> list[tuple[str, str]]:
    async def work() -> list[tuple[str, str]]:
        async with Database(url) as db, db.session() as session:
            rows = await session.scalars(select(AuditEntry).order_by(AuditEntry.id))
            return [(r.actor, r.action) for r in rows]

    return asyncio.run(work())


def test_list_show_export(url: str, tmp_path: Path) -> None:
    first, second = seed(url)
    code, out, err = run_hotline(url, "appeals", "list", "--json", "--category", "complaint")
    assert code == 0, err
    assert [a["number"] for a in json.loads(out)] == [first]
    code, out, err = run_hotline(url, "appeals", "show", second, "--json", "--by", "oleg")
    assert code == 0, err
    shown = json.loads(out)
    assert shown["phone"] == PHONE and shown["deadline"] == "2026-06-07"
    assert [h["status"] for h in shown["history"]] == ["registered"]
    csv, xlsx = tmp_path / "a.csv", tmp_path / "a.xlsx"
    code, out, err = run_hotline(
        url, "appeals", "export", "--csv", str(csv), "--xlsx", str(xlsx), "--group", "unit"
    )
    assert code == 0, err
    assert "2 appeals exported" in out
    text = csv.read_bytes().decode("utf-8-sig")
    assert first in text and second in text
    sheets = load_workbook(xlsx, read_only=True).sheetnames
    assert sheets == ["Обращения", "Итоги (Подразделение)"]
    assert ("oleg", "appeal.view") in actions(url)
    code, _, err = run_hotline(url, "appeals", "show", "2026-999999")
    assert code == 1 and "no appeal 2026-999999" in err


def test_roles_once_console_users_exist(url: str) -> None:
    [first, _] = seed(url)
    _console_users(url, {"anna": "operator", "boris": "supervisor", "dima": "dispatcher"})
    code, out, err = run_hotline(url, "appeals", "show", first, "--json", "--by", "anna")
    assert code == 0, err
    assert json.loads(out)["phone"] == "••••••••••67"
    code, out, err = run_hotline(url, "appeals", "show", first, "--json", "--by", "boris")
    assert json.loads(out)["phone"] == PHONE
    code, _, err = run_hotline(url, "appeals", "list", "--by", "dima")
    assert code != 0 and "may not read appeals" in err
