"""The appeal register's chart (R-142, R-144): appeals received and answered by day over the
period asked for, its x axis exactly that period, trust-service appeals only for those who see
them (R-121)."""

from __future__ import annotations

import asyncio
import html
import json
import re
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from fastapi.testclient import TestClient

from hotline.appeals.register import AppealRequest, Appeals, Viewer
from hotline.settings import Settings
from hotline.store.audit import Actor
from hotline.store.db import Database
from hotline.store.enums import AppealChannel
from tests.web.conftest import log_in


def chart_of(page: str) -> dict[str, Any]:
    found = re.search(r'data-chart="([^"]*)" id="appeals-chart"', page)
    assert found, page
    spec: dict[str, Any] = json.loads(html.unescape(found.group(1)))
    return spec


def test_received_and_answered_by_day_over_the_period(
    client: TestClient, settings: Settings
) -> None:
    zone = ZoneInfo(settings.hours.timezone)
    today = datetime.now(zone).date()
    first_day, last_day = today - timedelta(days=4), today

    def local(day_offset: int, hour: int) -> datetime:
        return datetime.combine(today - timedelta(days=day_offset), time(hour), tzinfo=zone)

    async def seed() -> None:
        async with Database.from_settings(settings) as db:
            appeals = Appeals(db, settings.appeals, settings.hours.timezone)
            actor = Actor("boris", "web")
            viewer = Viewer(actor, personal_data=True, trust=True)

            def request(topic: str) -> AppealRequest:
                return AppealRequest(
                    channel=AppealChannel.OPERATOR,
                    category="question",
                    topic=topic,
                    subject="Вопрос",
                )

            await appeals.register(request("bills"), actor, at=local(3, 10))
            answered = await appeals.register(request("debt"), actor, at=local(1, 12))
            await appeals.answer(answered.number, viewer)  # answered now: today
            # Before the period: not drawn.
            await appeals.register(request("bills"), actor, at=local(6, 9))
            # A trust-service appeal: drawn only for roles that see those.
            await appeals.register(request(settings.appeals.trust_topic), actor, at=local(3, 11))

    asyncio.run(seed())
    log_in(client, "boris")
    query = f"since={first_day.isoformat()}&until={last_day.isoformat()}"
    # A supervisor has no trust right: the trust-service appeal is not drawn.
    spec = chart_of(client.get(f"/appeals?{query}").text)

    start = datetime.combine(first_day, time(), tzinfo=zone)
    end = datetime.combine(last_day + timedelta(days=1), time(), tzinfo=zone)
    assert spec["range"] == [int(start.timestamp()), int(end.timestamp())]
    assert spec["step"] == "day" and len(spec["x"]) == 5 and spec["unit"] == "обращений"
    received, answered = (s["values"] for s in spec["series"])
    assert received == [0, 1, 0, 1, 0]
    assert answered == [0, 0, 0, 0, 1]

    # With the trust right (an administrator): the trust-service appeal is counted too.
    client.post("/logout")
    log_in(client, "vera")
    with_trust = chart_of(client.get(f"/appeals?{query}").text)["series"][0]["values"]
    assert with_trust == [0, 2, 0, 1, 0]


def test_no_period_draws_the_last_30_days(client: TestClient, settings: Settings) -> None:
    log_in(client, "boris")
    spec = chart_of(client.get("/appeals").text)
    assert len(spec["x"]) == 30 and spec["empty"] is True
