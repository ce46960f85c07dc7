"""The appeal register in the console (issue 16): a supervisor registers, hands over,
answers and reopens an appeal; illegal moves are refused; an operator sees personal data
masked (R-139); nobody without the trust right sees trust-service appeals (R-121); the
register exports as CSV and XLSX; every view is audited."""

from __future__ import annotations

import asyncio
import re

from fastapi.testclient import TestClient
from sqlalchemy import select

from hotline.settings import Settings
from hotline.store.db import Database
from hotline.store.models import AuditEntry
from tests.web.conftest import log_in

PHONE = "+79001234567"


def register(client: TestClient, csrf: str, **extra: str) -> str:
    data = {
        "channel": "email",
        "category": "complaint",
        "topic": "quality",
        "subject": "Скачки напряжения",
        "text": "Каждый вечер мигает свет",
        "phone": PHONE,
        "customer_name": "Иванов Иван",
        "reply_channel": "email",
        "reply_address": "ivanov@example.ru",
        "csrf_token": csrf,
        **extra,
    }
    response = client.post("/appeals", data=data)
    assert response.status_code == 200, response.text
    found = re.search(r'id="appeal-number">(\d{4}-\d{6})<', response.text)
    assert found, response.text
    return found.group(1)


def status_of(html: str) -> str:
    found = re.search(r'id="appeal-status" data-status="([a-z_]+)"', html)
    assert found
    return found.group(1)


def audit(settings: Settings) -> list[tuple[str, str]]:
    async def read() -> list[tuple[str, str]]:
        async with Database.from_settings(settings) as db, db.session() as session:
            rows = await session.scalars(select(AuditEntry).order_by(AuditEntry.id))
            return [(r.actor, r.action) for r in rows if r.action.startswith("appeal.")]

    return asyncio.run(read())


def test_register_hand_over_answer_reopen(client: TestClient, settings: Settings) -> None:
    csrf = log_in(client, "boris")
    assert 'href="/appeals"' in client.get("/").text
    number = register(client, csrf)
    card = client.get(f"/appeals/{number}").text
    assert status_of(card) == "registered" and PHONE in card
    assert 'id="appeal-unit" data-unit="network">Сетевая служба<' in card

    refused = client.post(f"/appeals/{number}/close", data={"csrf_token": csrf})
    assert refused.status_code == 409 and "cannot become closed" in refused.text

    moved = client.post(
        f"/appeals/{number}/hand_over", data={"unit": "billing", "csrf_token": csrf}
    )
    assert (
        status_of(moved.text) == "handed_over"
        and 'id="appeal-unit" data-unit="billing">Расчётный отдел<' in moved.text
    )
    answered = client.post(f"/appeals/{number}/answer", data={"csrf_token": csrf})
    assert status_of(answered.text) == "answered"
    no_reason = client.post(f"/appeals/{number}/reopen", data={"csrf_token": csrf})
    assert no_reason.status_code == 409
    reopened = client.post(
        f"/appeals/{number}/reopen",
        data={"note": "клиент не согласен с решением", "csrf_token": csrf},
    )
    assert status_of(reopened.text) == "reopened"
    assert "клиент не согласен с решением" in reopened.text

    listing = client.get("/appeals?category=complaint&by=unit").text
    assert f'data-appeal="{number}"' in listing
    assert '<tr data-key="billing"><td>Расчётный отдел</td><td>1</td>' in listing
    assert f'data-appeal="{number}"' not in client.get("/appeals?status=closed").text

    csv = client.get("/appeals/export.csv")
    assert csv.status_code == 200 and number in csv.content.decode("utf-8-sig")
    xlsx = client.get("/appeals/export.xlsx")
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    assert client.get("/appeals/export.csv?since=yesterday").status_code == 422
    assert client.get("/appeals?since=yesterday").status_code == 422
    entries = audit(settings)
    assert entries[:2] == [("boris", "appeal.register"), ("boris", "appeal.view")]
    # Hand over, answer, reopen (the refused moves wrote nothing); every card and listing
    # shown is audited.
    assert entries.count(("boris", "appeal.status")) == 3
    assert ("boris", "appeal.list") in entries


def test_operator_sees_personal_data_masked(client: TestClient, settings: Settings) -> None:
    number = register(client, log_in(client, "boris"))
    client.post("/logout", data={"csrf_token": ""})
    client.cookies.clear()
    log_in(client, "anna")
    card = client.get(f"/appeals/{number}").text
    assert PHONE not in card and "Иванов" not in card and "ivanov@" not in card
    assert "67" in card  # the last digits, to match the caller
    assert PHONE not in client.get("/appeals").text
    assert ("anna", "appeal.view") in audit(settings)


def test_trust_service_appeals_only_for_the_allowed(client: TestClient) -> None:
    number = register(client, log_in(client, "vera"), topic="trust")  # an admin sees them
    assert client.get(f"/appeals/{number}").status_code == 200
    client.cookies.clear()
    log_in(client, "boris")
    assert client.get(f"/appeals/{number}").status_code == 404
    assert number not in client.get("/appeals").text


def test_the_operator_registers_from_the_call_form(client: TestClient) -> None:
    # POST /operator/appeal is not the operator panel's /operator/{action} (queue actions).
    csrf = log_in(client, "anna")
    form = client.get("/operator/appeal")
    assert form.status_code == 200 and 'id="appeal-form"' in form.text
    done = client.post(
        "/operator/appeal",
        data={"category": "question", "topic": "bills", "subject": "Счёт", "csrf_token": csrf},
    )
    assert done.status_code == 200, done.text
    assert re.search(r'id="appeal-number">\d{4}-\d{6}<', done.text)
    # Without a call in progress there is no caller to send to the announcement.
    number = re.search(r'id="appeal-number">(\d{4}-\d{6})<', done.text)
    assert number is not None
    told = client.post(f"/operator/appeal/{number.group(1)}/tell", data={"csrf_token": csrf})
    assert told.status_code == 409
