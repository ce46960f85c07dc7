"""R-097: the wallboard shows every department's queue with today's figures by the seeds'
definitions (the scripted calls of tests/web/test_queue_report_page.py, all in the
operators' queue on 2 March 2026)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from fastapi.testclient import TestClient

from hotline.settings import Settings
from hotline.store.db import Database
from hotline.web.wallboard_model import Wallboard, snapshot
from tests.web.conftest import log_in
from tests.web.test_queue_report_page import DAY1, seed


def test_the_board_has_a_row_per_department_queue(settings: Settings) -> None:
    seed(settings)

    async def board() -> Wallboard:
        async with Database.from_settings(settings) as db:
            return await snapshot(db, settings, None, now=DAY1 + timedelta(hours=3))

    got = asyncio.run(board())
    rows = {q.department.id: q for q in got.queues}
    assert list(rows) == ["operators", "dispatcher"]
    # Day 1: a (20 s) within 40 s, b (60 s) late, c hung up: 1 of 3; lost 1 of 3.
    assert rows["operators"].today.offered == 3
    assert rows["operators"].wait_within_limit.value == 0.3333
    assert rows["operators"].lost_ratio.value == 0.3333
    assert rows["dispatcher"].today.offered == 0 and rows["dispatcher"].waiting == 0


def test_the_wallboard_page_lists_the_queues(client: TestClient) -> None:
    log_in(client, "boris")
    html = client.get("/wallboard").text
    assert '<tr data-queue="operators"><td>Операторы</td>' in html
    assert '<tr data-queue="dispatcher"><td>Аварийный диспетчер</td>' in html
