"""``hotline survey coverage`` (issue 22, R-105) through the real command: the report (text,
JSON, XLSX), the campaign from the customers not surveyed, and the monthly schedule."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook

from hotline.store.accounts import AccountRecord, AccountStore
from hotline.store.db import Database
from tests.cli_support import hermetic_store_url, run_hotline

PROMPTS = Path(__file__).resolve().parents[2] / "prompts"


@pytest.fixture
def url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    yield from hermetic_store_url(tmp_path, monkeypatch)


def _accounts(url: str) -> None:
    async def work() -> None:
        async with Database(url) as db:
            await db.upgrade()
            records = [
                AccountRecord(
                    n, "", "", "Asia/Krasnoyarsk", Decimal(0), None, None, None, None, phones, ()
                )
                for n, phones in (("1001", ("79131234561",)), ("1002", ()), ("1003", ("7913",)))
            ]
            await AccountStore(db).upsert(records)

    asyncio.run(work())


def test_survey_coverage_report_campaign_and_schedule(url: str, tmp_path: Path) -> None:
    def hotline(*args: str) -> tuple[int, str, str]:
        return run_hotline(url, *args, settings=(f"paths.prompts_dir={PROMPTS}",))

    _accounts(url)
    code, out, err = hotline("survey", "coverage", "--json")
    assert code == 0, err
    figures = json.loads(out)
    assert (figures["group"], figures["covered"], figures["never"]) == (2, 0, 2)
    assert figures["window_months"] == 12 and len(figures["months"]) == 12
    book = tmp_path / "coverage.xlsx"
    code, out, err = hotline("survey", "coverage", "--out", str(book))
    assert code == 0, err
    assert "never surveyed: 2" in out
    rows = list(load_workbook(book).worksheets[0].iter_rows(values_only=True))
    assert ("в целевой группе", 2) in rows
    assert hotline("scenario", "create", "debt", "--kind", "debt", "--by", "anna")[0] == 0
    code, _, err = hotline("survey", "coverage", "campaign", "gap", "--scenario", "debt")
    assert code == 1 and "not a survey" in err
    assert hotline("scenario", "create", "poll", "--kind", "survey", "--by", "anna")[0] == 0
    code, out, err = hotline("survey", "coverage", "campaign", "gap", "--scenario", "poll")
    assert code == 0, err
    # 1003's billing number is not a phone: reported, not called.
    assert "campaign gap: 1 customers" in out and "account 1003" in out
    code, out, _ = hotline("campaign", "status", "gap")
    assert code == 0 and "черновик" in out  # a draft: approved and started as any campaign
    add = ("survey", "coverage", "schedule", "yearly", "--scenario", "poll", "--day", "5")
    code, out, err = hotline(*add, "--by", "anna")
    assert code == 0, err
    assert "не опрошены за 12 мес." in out
    code, out, _ = hotline("campaign", "schedule", "list")
    assert code == 0 and "yearly" in out and "не опрошены за 12" in out
