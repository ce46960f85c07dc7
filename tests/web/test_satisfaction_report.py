"""The queue report shows satisfaction after operator calls (R-108, R-145) by operator and for
the whole line, in the page and in its CSV/XLSX; ratings given on test calls are left out
unless the test-calls switch is on, as every other figure of the report."""

from __future__ import annotations

import asyncio
import io
from datetime import timedelta

from fastapi.testclient import TestClient
from openpyxl import load_workbook

from hotline.settings import Settings
from hotline.store.calllog import CallLog
from hotline.store.db import Database
from hotline.store.enums import CallDirection
from hotline.store.ratings import RatingStore
from tests.web.conftest import log_in
from tests.web.test_queue_report_page import DAY1, PERIOD

# (call, operator, score, simulated)
RATINGS = [
    ("r1", "anna", 5, False),
    ("r2", "anna", 2, False),
    ("r3", "boris", 4, False),
    ("r4", "boris", 1, True),  # a test call: left out by default
]


def seed(settings: Settings) -> None:
    async def work() -> None:
        async with Database.from_settings(settings) as db:
            log, ratings = CallLog(db), RatingStore(db)
            for uid, operator, score, simulated in RATINGS:
                at = DAY1 + timedelta(minutes=len(uid))
                await log.open(
                    uniqueid=uid,
                    direction=CallDirection.INBOUND,
                    started_at=at,
                    simulated=simulated,
                )
                await ratings.add(uid, "+79131234567", operator, score, at)

    asyncio.run(work())


def test_satisfaction_by_operator_in_the_page_and_downloads(
    client: TestClient, settings: Settings
) -> None:
    seed(settings)
    log_in(client, "boris")
    html = client.get(f"/reports/queue?{PERIOD}").text
    assert 'data-operator="anna"><td>anna</td><td>2</td><td>3.50</td>' in html
    assert 'data-operator="boris"><td>boris</td><td>1</td><td>4.00</td>' in html
    # The line's average weighs every rating the same: (5 + 2 + 4) / 3.
    assert "Оценок: 3, средняя оценка по линии: 3.67 из 5" in html

    with_tests = client.get(f"/reports/queue?{PERIOD}&test=true").text
    assert 'data-operator="boris"><td>boris</td><td>2</td><td>2.50</td>' in with_tests

    csv = client.get(f"/reports/queue.csv?{PERIOD}").content.decode("utf-8-sig")
    lines = csv.splitlines()
    assert "operator;ratings;average_1_5" in lines
    assert "anna;2;3,5" in lines and "всего;3;3,67" in lines

    book = load_workbook(io.BytesIO(client.get(f"/reports/queue.xlsx?{PERIOD}").content))
    rows = list(book["Оценки операторов"].iter_rows(values_only=True))
    assert rows[0] == ("operator", "ratings", "average_1_5")
    assert ("boris", 1, 4) in rows and ("всего", 3, 3.67) in rows


def test_no_ratings_says_so(client: TestClient) -> None:
    log_in(client, "boris")
    html = client.get(f"/reports/queue?{PERIOD}").text
    assert "За период оценок нет" in html
