"""The queue report page and its per-day/per-hour buckets, on scripted calls whose answers
are known by hand."""

from __future__ import annotations

import asyncio
import io
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from fastapi.testclient import TestClient
from openpyxl import load_workbook

from hotline.contact_center.kpi import CallType, QueuedCall
from hotline.contact_center.queue_buckets import Bucket, by_bucket
from hotline.settings import Settings
from hotline.store.calllog import CallLog
from hotline.store.db import Database
from hotline.store.enums import CallDirection, QueueEventKind
from hotline.store.queue_events import QueueEventRecord, QueueEvents
from tests.web.conftest import log_in

ZONE = ZoneInfo("Asia/Krasnoyarsk")  # the default hours.timezone, UTC+7
DAY1 = datetime(2026, 3, 2, 10, 0, tzinfo=ZONE)
DAY2 = datetime(2026, 3, 3, 10, 0, tzinfo=ZONE)
PERIOD = "start=2026-03-02&end=2026-03-03"

# (call, joined, connected after s or None, abandoned after s or None).  Target 40 s.
#   a: day 1 10:00, answered after 20 s  -> within target
#   b: day 1 11:00, answered after 60 s  -> late
#   c: day 1 11:30, abandoned after 30 s -> lost
#   d: day 2 10:00, answered after 5 s   -> within target
SCRIPT = [
    ("a", DAY1, 20, None),
    ("b", DAY1 + timedelta(hours=1), 60, None),
    ("c", DAY1 + timedelta(hours=1, minutes=30), None, 30),
    ("d", DAY2, 5, None),
]


def seed(settings: Settings) -> None:
    async def work() -> None:
        async with Database.from_settings(settings) as db:
            log, events = CallLog(db), QueueEvents(db)
            for uid, joined, connect, abandon in SCRIPT:
                await log.open(uniqueid=uid, direction=CallDirection.INBOUND, started_at=joined)
                queue = settings.queue.name
                await events.add(QueueEventRecord(joined, QueueEventKind.JOIN, uid, queue))
                if connect is not None:
                    at = joined + timedelta(seconds=connect)
                    record = QueueEventRecord(
                        at, QueueEventKind.CONNECT, uid, queue, member="op1", wait=connect
                    )
                else:
                    at = joined + timedelta(seconds=abandon or 0)
                    record = QueueEventRecord(at, QueueEventKind.ABANDON, uid, queue, wait=abandon)
                await events.add(record)

    asyncio.run(work())


def test_buckets_by_day_and_hour() -> None:
    def call(joined: datetime, answered: bool, wait: float) -> QueuedCall:
        return QueuedCall(
            uniqueid=str(joined),
            joined_at=joined.astimezone(UTC),
            target=40,
            call_type=CallType.GENERAL,
            answered=answered,
            wait=wait,
            callback=False,
            talk=None,
            member=None,
        )

    calls = [call(j, c is not None, c or a or 0) for _, j, c, a in SCRIPT]
    days = by_bucket(calls, ZONE, Bucket.DAY)
    assert [(d.start.day, d.offered, d.within_target, d.lost) for d in days] == [
        (2, 3, 1, 1),
        (3, 1, 1, 0),
    ]
    assert days[0].service_level == 0.3333 and days[0].lost_ratio == 0.3333
    assert days[0].average_wait == 40.0 and days[0].max_wait == 60.0
    hours = by_bucket(calls, ZONE, Bucket.HOUR)
    assert [(h.start.hour, h.offered) for h in hours] == [(10, 1), (11, 2), (10, 1)]


def test_queue_report_page_and_downloads(client: TestClient, settings: Settings) -> None:
    seed(settings)
    log_in(client, "boris")
    html = client.get(f"/reports/queue?{PERIOD}").text
    # Service level over the period: a and d within 40 s of 4 offered = 50 %; lost 1 of 4.
    assert '<tr data-kpi="service_level" class="bad"><td>' in html
    assert "<td>50.0 %</td>" in html and "<td>25.0 %</td>" in html
    day1 = "<td>02.03.2026</td><td>3</td><td>2</td>\n    <td>33.3 %</td><td>1</td><td>40 с</td>"
    assert day1 in html

    csv = client.get(f"/reports/queue.csv?{PERIOD}&by=hour").content.decode("utf-8-sig")
    assert "02.03.2026 11:00:00;2;1;0;1;0;0,5;60;60" in csv.splitlines()
    book = load_workbook(io.BytesIO(client.get(f"/reports/queue.xlsx?{PERIOD}").content))
    assert book.sheetnames[-1] == "По дням"
    assert client.get(f"/reports/queue?{PERIOD}&by=week").status_code == 422
