"""Exports written as they are read (issue 19 item 3), through the real commands against a
SQLite file: the appeal register past the 10,000 rows the old export stopped at, and the
audit log (a new export), as CSV and XLSX."""

from __future__ import annotations

import asyncio
import csv
import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from hotline.store.audit import Actor, AuditLog
from hotline.store.db import Database
from hotline.store.models import AuditEntry
from hotline.store.paging import PAGE_SIZE
from tests.cli_support import hermetic_store_url, run_hotline
from tests.exports_support import OLD_CAP, add_appeals


@pytest.fixture
def url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    yield from hermetic_store_url(tmp_path, monkeypatch)


def _seed(url: str, appeals: int = 0, entries: int = 0) -> None:
    async def work() -> None:
        async with Database(url) as db:
            await db.upgrade()
            await add_appeals(db, appeals)
            log = AuditLog(db)
            for n in range(entries):
                await log.write(Actor("anna" if n % 2 else "boris", "web"), "user.add", f"u{n}")

    asyncio.run(work())


def _csv(data: bytes) -> list[list[str]]:
    text = data.decode("utf-8").removeprefix("\ufeff")
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))


def test_the_register_exports_past_the_old_cap(url: str, tmp_path: Path) -> None:
    _seed(url, appeals=OLD_CAP + 1)
    target = tmp_path / "register.csv"
    code, out, err = run_hotline(url, "appeals", "export", "--csv", str(target))
    assert code == 0, err
    assert f"{OLD_CAP + 1} appeals exported" in out
    rows = _csv(target.read_bytes())
    numbers = [row[0] for row in rows if row and row[0].startswith("2026-")]
    # Newest first, every one of them (the old export stopped at 10,000).
    assert len(numbers) == OLD_CAP + 1 == len(set(numbers))
    assert numbers[0] == f"2026-{OLD_CAP + 1:06d}" and numbers[-1] == "2026-000001"

    async def listed() -> list[dict[str, int] | None]:
        async with Database(url) as db, db.session() as session:
            query = select(AuditEntry.detail).where(AuditEntry.action == "appeal.list")
            return list(await session.scalars(query))

    assert asyncio.run(listed()) == [{"count": OLD_CAP + 1}]


def test_the_register_exports_as_xlsx(url: str, tmp_path: Path) -> None:
    _seed(url, appeals=PAGE_SIZE + 1)  # over one page
    target = tmp_path / "register.xlsx"
    code, out, err = run_hotline(url, "appeals", "export", "--xlsx", str(target))
    assert code == 0, err
    assert f"{PAGE_SIZE + 1} appeals exported" in out
    book = load_workbook(target, read_only=True)
    assert book.sheetnames == ["Обращения", "Итоги (Категория)"]
    register = list(book["Обращения"].values)
    assert len(register) == 1 + PAGE_SIZE + 1 and register[1][0] == f"2026-{PAGE_SIZE + 1:06d}"
    assert list(book["Итоги (Категория)"].values)[1][:2] == ("complaint", PAGE_SIZE + 1)


def test_the_audit_log_exports_whole_and_filtered(url: str, tmp_path: Path) -> None:
    _seed(url, entries=7)
    code, out, err = run_hotline(url, "audit", "export")
    assert code == 0, err
    assert "7 audit entries exported" in err
    rows = _csv(out.encode("utf-8"))
    assert rows[0][:3] == ["№", "Время", "Кто"]
    assert [row[6] for row in rows[1:]] == [f"u{n}" for n in range(7)]  # oldest first
    target = tmp_path / "audit.xlsx"
    code, _, err = run_hotline(
        url, "audit", "export", "--format", "xlsx", "--actor", "anna", "-o", str(target)
    )
    assert code == 0, err
    values = list(load_workbook(target, read_only=True).worksheets[0].values)
    assert [row[6] for row in values[1:]] == ["u1", "u3", "u5"]
    code, _, err = run_hotline(url, "audit", "export", "--format", "xlsx")
    assert code == 2 and "needs --output" in err
