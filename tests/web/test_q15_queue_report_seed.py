"""The console's queue report leads with the seeds' definitions (R-026, R-029), on the
scripted calls of tests/web/test_queue_report_page.py: a 20 s, b 60 s, d 5 s answered; c
hung up after 30 s."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from hotline.settings import Settings
from hotline.web.app import create_app
from tests.web.conftest import log_in
from tests.web.test_queue_report_page import PERIOD, seed


def test_the_seeds_definitions_lead_the_page(client: TestClient, settings: Settings) -> None:
    seed(settings)
    log_in(client, "boris")
    html = client.get(f"/reports/queue?{PERIOD}").text
    assert html.index('id="seed-kpis"') < html.index('id="kpis"')
    assert html.index('data-kpi="wait_within_limit"') < html.index('id="kpis"')
    assert html.index('data-kpi="lost_ratio_seed"') < html.index('id="kpis"')
    # a and d within 40 s of 4: 50 %, against the seed's every call.
    row = html.split('data-kpi="wait_within_limit"', 1)[1].split("</tr>", 1)[0]
    assert "<td>50.0 %</td>" in row and "≥ 100.0 % <span" in row and "(норматив)" in row
    # The calls over 40 s, listed: b only.
    assert "Ожидали дольше 40 с: 1" in html
    listed = html.split('id="over-limit"', 1)[1].split("</table>", 1)[0]
    assert "<td>b</td>" in listed and "<td>60 с</td>" in listed and "<td>c</td>" not in listed
    # Lost to the seed: c of 4 calls received; the callback line is shown, here empty.
    lost = html.split('data-kpi="lost_ratio_seed"', 1)[1].split("</tr>", 1)[0]
    assert "<td>25.0 %</td>" in lost
    assert "оставили заявку на обратный звонок и положили трубку: 0" in html


@pytest.fixture
def chosen_client(settings: Settings) -> Iterator[TestClient]:
    queue = settings.queue.model_copy(update={"service_level_target": 0.5})
    chosen = settings.model_copy(update={"queue": queue})
    with TestClient(create_app(chosen), base_url="http://127.0.0.1") as client:
        yield client


def test_a_supervisors_target_is_shown_as_their_choice(
    chosen_client: TestClient, settings: Settings
) -> None:
    seed(settings)
    log_in(chosen_client, "boris")
    html = chosen_client.get(f"/reports/queue?{PERIOD}").text
    row = html.split('data-kpi="wait_within_limit"', 1)[1].split("</tr>", 1)[0]
    assert "≥ 50.0 %" in row and "выбор руководителя; норматив 100.0 %" in row
    assert 'class="bad"' not in html.split('data-kpi="wait_within_limit"', 1)[0][-40:]


def test_the_report_per_department_queue(client: TestClient, settings: Settings) -> None:
    seed(settings)  # every scripted call joined the operators' queue
    log_in(client, "boris")
    html = client.get(f"/reports/queue?{PERIOD}&queue=dispatcher").text
    assert '<option value="dispatcher" selected>Аварийный диспетчер</option>' in html
    assert "Поступило звонков: 0" in html
    html = client.get(f"/reports/queue?{PERIOD}&queue=operators").text
    assert "Поступило звонков: 4" in html
    assert client.get(f"/reports/queue?{PERIOD}&queue=billing").status_code == 400
