"""The IVR report page and its downloads, on calls with known answers."""

from __future__ import annotations

import asyncio
import io
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from openpyxl import load_workbook

from hotline.settings import Settings
from hotline.store.calllog import CallLog
from hotline.store.db import Database
from hotline.store.enums import CallDirection, CallOutcome
from tests.web.conftest import log_in

# 2026-03-01 10:00 in Krasnoyarsk (the default hours.timezone, UTC+7).
T0 = datetime(2026, 3, 1, 3, 0, tzinfo=UTC)
PERIOD = "start=2026-03-01&end=2026-03-02"


def seed_calls(settings: Settings) -> None:
    walks = [
        ("a", T0, ["main", "balance"], CallOutcome.COMPLETED),
        ("b", T0 + timedelta(hours=1), ["main", "operator"], CallOutcome.OPERATOR),
        ("c", T0 + timedelta(hours=2), ["main"], CallOutcome.ABANDONED),
        ("d", T0 + timedelta(days=1), ["main", "info"], CallOutcome.COMPLETED),
    ]

    async def seed() -> None:
        async with Database.from_settings(settings) as db:
            log = CallLog(db)
            for uniqueid, start, nodes, outcome in walks:
                await log.open(
                    uniqueid=uniqueid, direction=CallDirection.INBOUND, started_at=start
                )
                for second, node in enumerate(nodes):
                    await log.add_event(
                        uniqueid, "node", node, at=start + timedelta(seconds=second)
                    )
                await log.set_outcome(uniqueid, outcome, operator_reason="menu")
                await log.ended(uniqueid, at=start + timedelta(seconds=30))

    asyncio.run(seed())


def test_supervisor_sees_the_ivr_report(client: TestClient, settings: Settings) -> None:
    seed_calls(settings)
    log_in(client, "boris")
    html = client.get(f"/reports/ivr?{PERIOD}").text
    assert "Звонков в IVR: <strong>4</strong>" in html
    assert "Обслужено без оператора: <strong>50.0 %</strong>" in html
    assert 'id="ivr-chart"' in html


def test_downloads_as_csv_and_xlsx(client: TestClient, settings: Settings) -> None:
    seed_calls(settings)
    log_in(client, "boris")
    csv = client.get(f"/reports/ivr.csv?{PERIOD}")
    assert csv.headers["content-disposition"] == 'attachment; filename="ivr-20260301-20260302.csv"'
    lines = csv.content.decode("utf-8-sig").splitlines()
    assert "01.03.2026;3;1;1;1;0,3333" in lines and "02.03.2026;1;1;0;0;1" in lines
    xlsx = client.get(f"/reports/ivr.xlsx?{PERIOD}")
    book = load_workbook(io.BytesIO(xlsx.content))
    assert book.sheetnames == ["Итоги", "Пункты меню", "По дням"]
    assert client.get(f"/reports/ivr.pdf?{PERIOD}").status_code == 404
    assert client.get("/reports/ivr?start=March").status_code == 400


def test_operators_do_not_see_reports(client: TestClient) -> None:
    log_in(client, "anna")
    assert client.get("/reports/ivr").status_code == 403
    assert client.get("/reports/ivr.csv").status_code == 403
