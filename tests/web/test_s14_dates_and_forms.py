"""Dates the console cannot use are a 400 with a Russian message (issue 14, M4: "a date far
in the future gives a 400"), on pages and downloads alike; a campaign name breaking the slug
rule brings the form back with the rule in Russian, not FastAPI's bare 422 JSON."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from hotline.web.views.campaigns import BAD_NAME
from tests.web.conftest import log_in
from tests.web.test_campaign_pages import seed_scenario

HTML = {"Accept": "text/html,application/xhtml+xml"}
PATHS = ["/calls", "/recordings", "/reports/ivr", "/reports/queue", "/reports/ivr.csv"]
QUERIES = {
    "end=9999-12-31": "вне допустимого диапазона",
    "start=0001-01-01": "вне допустимого диапазона",
    "start=March": "не распознана",
    "start=2026-03-05&end=2026-03-01": "Конец периода должен быть позже",
}


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("query", list(QUERIES))
def test_an_unusable_date_is_a_400_in_russian(client: TestClient, path: str, query: str) -> None:
    log_in(client, "boris")
    page = client.get(f"{path}?{query}", headers=HTML)
    assert page.status_code == 400, page.text[:300]
    assert page.headers["content-type"].startswith("text/html")
    assert QUERIES[query] in page.text and "<!doctype html>" in page.text
    data = client.get(f"{path}?{query}", headers={"Accept": "application/json"})
    assert data.status_code == 400
    assert QUERIES[query] in data.json()["detail"]


def test_what_was_typed_is_escaped_in_the_page(client: TestClient) -> None:
    log_in(client, "boris")
    page = client.get("/calls", params={"start": "<script>x</script>"}, headers=HTML)
    assert page.status_code == 400
    assert "<script>x" not in page.text and "&lt;script&gt;x" in page.text


@pytest.mark.parametrize("name", ["Dec Debt", "../etc", "x" * 64, "-x", "dec.debt", ""])
def test_a_bad_campaign_name_brings_the_form_back_in_russian(
    client: TestClient, settings: object, name: str
) -> None:
    seed_scenario(settings)  # type: ignore[arg-type]
    csrf = log_in(client, "boris")
    reply = client.post("/campaigns", data={"csrf_token": csrf, "name": name, "scenario": "debt"})
    assert reply.status_code == 422
    assert reply.headers["content-type"].startswith("text/html")
    assert BAD_NAME in reply.text and 'name="name"' in reply.text
    assert "Кампания" in reply.text and "dec-debt" in reply.text
    good = client.post(
        "/campaigns", data={"csrf_token": csrf, "name": "dec-debt", "scenario": "debt"}
    )
    assert good.status_code == 200 and "Кампания dec-debt" in good.text
