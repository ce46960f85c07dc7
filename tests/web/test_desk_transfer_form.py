"""Issue 17 item 4: the operator panel loads the transfer form (departments, specialists,
reasons); a transfer without a call in progress, or of an unknown kind, is refused."""

from __future__ import annotations

import asyncio

from fastapi.testclient import TestClient

from hotline.settings import Settings
from hotline.store.db import Database
from hotline.store.operators import Operators
from tests.web.conftest import log_in


async def add_operators(settings: Settings) -> None:
    async with Database.from_settings(settings) as db:
        await Operators(db).add("anna", "PJSIP/anna")
        await Operators(db).add("nina", "PJSIP/nina", department="dispatcher")


def test_the_operator_transfers_from_the_panel(client: TestClient, settings: Settings) -> None:
    asyncio.run(add_operators(settings))
    csrf = log_in(client, "anna")
    panel = client.get("/operator")
    assert 'hx-get="/operator/transfer"' in panel.text
    form = client.get("/operator/transfer")
    assert form.status_code == 200
    assert '<option value="dispatcher">' in form.text
    assert "<option>nina</option>" in form.text and "<option>anna</option>" not in form.text
    assert settings.transfer.reasons[0] in form.text
    data = {
        "csrf_token": csrf,
        "kind": "blind",
        "target_kind": "queue",
        "department": "dispatcher",
        "reason": "просьба абонента",
    }
    refused = client.post("/operator/transfer", data=data)
    assert refused.status_code == 409 and 'id="transfer-message"' in refused.text
    assert client.post("/operator/transfer", data={**data, "kind": "teleport"}).status_code == 422
    assert client.post("/operator/transfer", data={**data, "csrf_token": ""}).status_code == 403


def test_the_queue_report_shows_transfers_and_ring_no_answer(client: TestClient) -> None:
    log_in(client, "boris")
    text = client.get("/reports/queue").text
    assert 'data-kpi="transfer_answer_within_target"' in text
    assert "Переводы: среднее время до ответа специалиста" in text
    assert 'id="ring-no-answer"' in text and "Пропущенных вызовов нет." in text
