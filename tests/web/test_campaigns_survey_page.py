"""A survey campaign's page (issue 22 item 1; R-108): the results per question as bars, and
the same figures in the CSV and XLSX reports (sheet «survey»)."""

from __future__ import annotations

import asyncio
import io

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from dialer.model import TEMPLATES, CampaignKind, CampaignRules
from dialer.repository import DialerStore
from hotline.settings import Settings
from hotline.store.db import Database
from tests.dialer_support import NOW
from tests.web.conftest import log_in

# (phone, question, answer)
ANSWERS = [
    ("+79131230001", "quality", 5),
    ("+79131230001", "resolved", 1),
    ("+79131230002", "quality", 5),
    ("+79131230002", "resolved", 2),
    ("+79131230002", "improve", 3),
    ("+79131230003", "quality", 2),
]


def seed_survey(settings: Settings) -> None:
    async def work() -> None:
        async with Database.from_settings(settings) as db:
            await db.upgrade()
            store = DialerStore(db)
            survey = TEMPLATES[CampaignKind.SURVEY]
            version = await store.add_scenario("poll", survey, "setup", NOW)
            campaign = await store.create_campaign(
                "poll", version.id, CampaignRules(), "setup", NOW
            )
            for index, (phone, question, answer) in enumerate(ANSWERS):
                await store.add_survey_answer(
                    campaign.id, f"a{index}", phone, question, answer, NOW
                )

    asyncio.run(work())


def test_the_survey_page_charts_the_answers_per_question(
    client: TestClient, settings: Settings
) -> None:
    seed_survey(settings)
    log_in(client, "boris")
    page = client.get("/campaigns/poll")
    assert page.status_code == 200
    assert "Результаты опроса" in page.text
    quality = page.text.split('id="survey-quality"')[1].split("</table>")[0]
    # Two of three said 5, one said 2; every answer of the scale is listed.
    assert "<td>5 из 5</td><td>2</td><td>66.7 %</td>" in quality
    assert "<td>2 из 5</td><td>1</td><td>33.3 %</td>" in quality
    assert "<td>3 из 5</td><td>0</td><td>0.0 %</td>" in quality
    assert '<meter min="0" max="100" value="66.7"' in quality
    resolved = page.text.split('id="survey-resolved"')[1].split("</table>")[0]
    assert "<td>да</td><td>1</td><td>50.0 %</td>" in resolved
    assert "(да или нет, ответов: 2)" in page.text

    csv = client.get("/campaigns/poll/report.csv").content.decode("utf-8-sig").splitlines()
    # Decimal commas, as Russian Excel reads them.
    assert "quality;scale;оценка 1-5;5;5 из 5;2;66,7" in csv
    assert "improve;choice;выбор;3;вариант 3;1;100" in csv
    book = load_workbook(io.BytesIO(client.get("/campaigns/poll/report.xlsx").content))
    rows = list(book["survey"].iter_rows(values_only=True))
    assert rows[0][:4] == ("question", "question_type", "тип вопроса", "answer")
    assert ("resolved", "yes_no", "да или нет", 2, "нет", 1, 50.0) in rows


def test_other_campaigns_have_no_survey_section(client: TestClient, settings: Settings) -> None:
    from tests.web.test_campaign_pages import seed_scenario

    seed_scenario(settings)
    csrf = log_in(client, "boris")
    client.post("/campaigns", data={"csrf_token": csrf, "name": "c1", "scenario": "debt"})
    page = client.get("/campaigns/c1")
    assert page.status_code == 200 and "Результаты опроса" not in page.text
    assert "survey" not in client.get("/campaigns/c1/report.csv").content.decode("utf-8-sig")


def test_a_progressive_campaign_page_reports_the_abandon_rate(
    client: TestClient, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dialer.model import DialMode, Reason
    from tests.dialer_support import short_scenario

    async def work() -> None:
        async with Database.from_settings(settings) as db:
            await db.upgrade()
            store = DialerStore(db)
            version = await store.add_scenario("calls", short_scenario(), "setup", NOW)
            rules = CampaignRules(mode=DialMode.PROGRESSIVE, ratio=1.5)
            await store.create_campaign("calls", version.id, rules, "setup", NOW)

    asyncio.run(work())
    counts = [(1, "ended", Reason.OPERATOR_TALKED.value, 24), (1, "ended", "abandoned", 1)]

    async def fake_counts(self: object, campaign_id: int) -> list[tuple[int, str, str, int]]:
        return counts

    from dialer.repository.reports import ReportRows

    # 24 callees talked to an operator, 1 hung up waiting (the counts the dialer measures).
    monkeypatch.setattr(ReportRows, "attempt_counts", fake_counts)
    log_in(client, "boris")
    page = client.get("/campaigns/calls").text
    line = page.split('id="progressive-abandon">')[1].split("</p>")[0]
    assert "прогрессивный, с операторами, 1.5 звонка" in line
    assert "1 из 25 ответивших (4.0 %, предел 3.0 %" in line and "предел достигнут" in line
