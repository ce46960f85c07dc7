"""The survey coverage page (issue 22; R-105): supervisors see the target group's figures and
the months in which surveyed customers fall due, download them (CSV/XLSX), and create a
survey campaign from the customers not surveyed; operators are refused."""

from __future__ import annotations

import asyncio
import io
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from fastapi.testclient import TestClient
from openpyxl import load_workbook

from dialer.model import TEMPLATES, CampaignKind, CampaignRules
from dialer.repository import DialerStore
from hotline.settings import Settings
from hotline.store.accounts import AccountRecord, AccountStore
from hotline.store.db import Database
from hotline.store.surveys import SurveyStore
from tests.web.conftest import log_in

NOW = datetime.now(UTC)


def seed(settings: Settings) -> None:
    async def work() -> None:
        async with Database.from_settings(settings) as db:
            records = [
                AccountRecord(
                    n, "", "", "Asia/Krasnoyarsk", Decimal(0), None, None, None, None, phones, ()
                )
                for n, phones in (
                    ("1001", ("79131234561",)),
                    ("1002", ("79131234562",)),
                    ("1003", ()),
                )
            ]
            await AccountStore(db).upsert(records)
            store = DialerStore(db)
            survey = TEMPLATES[CampaignKind.SURVEY]
            version = await store.add_scenario("poll", survey, "boris", NOW)
            await store.add_scenario("debt", TEMPLATES[CampaignKind.DEBT], "boris", NOW)
            old = await store.create_campaign("old", version.id, CampaignRules(), "boris", NOW)
            day = NOW - timedelta(days=30)
            await SurveyStore(db).add(old.id, "a1", "+79131234561", "quality", 5, day)

    asyncio.run(work())


def test_the_page_the_download_and_the_campaign(client: TestClient, settings: Settings) -> None:
    seed(settings)
    csrf = log_in(client, "boris")
    assert 'href="/campaigns/coverage"' in client.get("/campaigns").text
    html = client.get("/campaigns/coverage").text
    assert 'data-figure="group">2<' in html
    assert 'data-figure="covered">1 (50.0 %)<' in html
    assert 'data-figure="never">1<' in html
    assert "есть телефон" in html  # the target group described
    assert '<option value="poll">' in html and '<option value="debt">' not in html
    csv = client.get("/campaigns/coverage.csv")
    assert csv.status_code == 200 and "attachment" in csv.headers["content-disposition"]
    assert "в целевой группе;2" in csv.content.decode("utf-8-sig")
    book = load_workbook(io.BytesIO(client.get("/campaigns/coverage.xlsx").content))
    assert ("опрошены за 12 мес.", 1) in list(book.worksheets[0].iter_rows(values_only=True))
    form = {"csrf_token": csrf, "name": "gap", "scenario": "poll"}
    created = client.post("/campaigns/coverage/campaign", data=form, follow_redirects=False)
    assert created.status_code == 303 and created.headers["location"] == "/campaigns/gap"
    assert "черновик" in client.get("/campaigns/gap").text.lower()
    again = client.post("/campaigns/coverage/campaign", data={**form, "name": "coverage"})
    assert again.status_code == 422 and "Кампания не создана" in again.text
    debt = client.post("/campaigns/coverage/campaign", data={**form, "scenario": "debt"})
    assert debt.status_code == 422 and "not a survey" in debt.text


def test_an_operator_is_refused(client: TestClient, settings: Settings) -> None:
    csrf = log_in(client, "anna")
    assert client.get("/campaigns/coverage").status_code == 403
    assert client.get("/campaigns/coverage.csv").status_code == 403
    form = {"csrf_token": csrf, "name": "gap", "scenario": "poll"}
    assert client.post("/campaigns/coverage/campaign", data=form).status_code == 403
