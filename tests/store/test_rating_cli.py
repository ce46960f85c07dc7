"""`hotline queue stats` shows satisfaction by operator: the ratings after operator calls
(R-108), average and count over the period, in JSON and the table."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from hotline.store.db import Database
from hotline.store.ratings import RatingStore
from tests.cli_support import hermetic_store_url, period_around, run_hotline


@pytest.fixture
def url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("USER", "tester")
    yield from hermetic_store_url(tmp_path, monkeypatch)


def seed(url: str) -> None:
    async def main() -> None:
        async with Database(url) as db:
            await db.upgrade()
            store = RatingStore(db)
            at = datetime.now(UTC) - timedelta(hours=1)
            await store.add("a", "+79001", "anna", 5, at)
            await store.add("b", "+79002", "anna", 4, at)
            await store.add("c", "+79003", "boris", 2, at)
            await store.add("d", "+79004", "boris", 5, at - timedelta(days=40))

    asyncio.run(main())


def test_queue_stats_shows_satisfaction_by_operator(url: str) -> None:
    seed(url)
    period = period_around(datetime.now(UTC) - timedelta(hours=1))
    code, out, _ = run_hotline(url, "queue", "stats", *period, "--format", "json")
    assert code == 0
    assert json.loads(out)["satisfaction"] == [
        {"operator": "anna", "count": 2, "average": 4.5},
        {"operator": "boris", "count": 1, "average": 2.0},
    ]
    code, out, _ = run_hotline(url, "queue", "stats", *period)
    assert code == 0
    assert "Satisfaction" in out and "4.50" in out and "2.00" in out


def test_queue_stats_downloads_carry_the_satisfaction_sheet(url: str) -> None:
    seed(url)
    period = period_around(datetime.now(UTC) - timedelta(hours=1))
    code, out, _ = run_hotline(url, "queue", "stats", *period, "--format", "csv")
    assert code == 0
    lines = out.splitlines()
    at = lines.index("Оценки операторов")
    assert lines[at + 1 : at + 5] == [
        "operator;ratings;average_1_5",
        "anna;2;4,5",
        "boris;1;2",
        "всего;3;3,67",
    ]
