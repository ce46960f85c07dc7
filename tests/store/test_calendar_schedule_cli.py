"""``hotline campaign schedule add/list/run-now/remove`` through the real command (issue 22
item 5)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

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
            await AccountStore(db).upsert(
                [
                    AccountRecord(
                        number,
                        "",
                        "",
                        "Asia/Krasnoyarsk",
                        Decimal(balance),
                        date(2020, 1, 10),
                        None,
                        None,
                        None,
                        (phone,),
                        (),
                    )
                    for number, balance, phone in (
                        ("1001", "1500", "79131234561"),
                        ("1002", "100", "79131234562"),
                        ("1003", "900", "79131234563"),
                    )
                ]
            )

    asyncio.run(work())


def test_schedule_add_list_run_now_remove(url: str) -> None:
    def hotline(*args: str) -> tuple[int, str, str]:
        return run_hotline(url, *args, settings=(f"paths.prompts_dir={PROMPTS}",))

    assert hotline("scenario", "create", "debt", "--kind", "debt", "--by", "anna")[0] == 0
    _accounts(url)
    base = ("campaign", "schedule", "add", "reminder", "--scenario", "debt", "--day", "20")
    code, _, err = hotline(*base, "--timezone", "Mars/Olympus", "--by", "anna")
    assert code == 1 and "timezones" in err and "Mars/Olympus" in err
    code, _, err = hotline(*base[:-1], "32", "--by", "anna")
    assert code == 1 and "from 1 to 31" in err
    code, out, err = hotline(*base, "--min-debt", "500", "--due-passed", "--by", "anna")
    assert code == 0, err
    assert "долг больше 500" in out
    code, out, _ = hotline("campaign", "schedule", "list")
    assert code == 0 and "reminder" in out and "срок оплаты прошёл" in out
    code, out, err = hotline("campaigns", "schedule", "run-now", "reminder", "--period", "2026-12")
    assert code == 0, err
    assert "reminder-2026-12 running (2 contacts)" in out
    code, _, err = hotline("campaign", "schedule", "run-now", "reminder", "--period", "2026-12")
    assert code == 1 and "built already" in err
    code, out, _ = hotline("campaign", "status", "reminder-2026-12")
    assert code == 0 and "0/2 done" in out
    assert hotline("campaign", "schedule", "remove", "reminder")[0] == 0
    code, _, err = hotline("campaign", "schedule", "remove", "reminder")
    assert code == 1 and "no schedule" in err
