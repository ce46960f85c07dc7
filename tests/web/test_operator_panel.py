"""The operator panel without a PBX: who is an operator, the callback list and "done", and
the audit trail of personal data shown."""

from __future__ import annotations

import asyncio

from fastapi.testclient import TestClient

from hotline.core.clock import utc_now
from hotline.settings import Settings
from hotline.store.audit import AuditLog, AuditRecord
from hotline.store.callbacks import CallbackStore
from hotline.store.db import Database
from hotline.store.enums import QueueEventKind
from hotline.store.operators import Operators
from hotline.store.queue_events import QueueEventRecord, QueueEvents
from tests.web.conftest import log_in


def seed(settings: Settings) -> int:
    async def work() -> int:
        async with Database.from_settings(settings) as db:
            await Operators(db).add("anna", "Local/anna@operators", simulated=True)
            callback = await CallbackStore(db).request("79131234567", source="ivr")
            return callback.id

    return asyncio.run(work())


def audit(settings: Settings) -> list[AuditRecord]:
    async def read() -> list[AuditRecord]:
        async with Database.from_settings(settings) as db:
            return await AuditLog(db).entries()

    return asyncio.run(read())


def test_a_user_who_is_no_queue_operator_is_told_so(client: TestClient) -> None:
    csrf = log_in(client, "boris")
    assert "Вы не заведены как оператор очереди" in client.get("/operator").text
    refused = client.post("/operator/login", data={"csrf_token": csrf})
    assert refused.status_code == 409


def test_operator_sees_state_and_callbacks_and_marks_one_done(
    client: TestClient, settings: Settings
) -> None:
    callback_id = seed(settings)
    csrf = log_in(client, "anna")
    html = client.get("/operator").text
    assert 'id="operator-state">не в очереди' in html
    assert f'data-callback="{callback_id}"' in html and "79131234567" in html
    assert 'id="no-call">Сейчас вы ни с кем не соединены.' in html

    # Without the PBX the queue cannot be joined; the panel says so instead of pretending.
    no_pbx = client.post("/operator/login", data={"csrf_token": csrf})
    assert no_pbx.status_code == 503 and "АТС недоступна" in no_pbx.text

    done = client.post(
        f"/callbacks/{callback_id}/done", data={"csrf_token": csrf, "note": "перезвонила"}
    )
    assert done.status_code == 200 and "Открытых заявок нет" in done.text
    assert client.post("/callbacks/999/done", data={"csrf_token": csrf}).status_code == 404
    actions = [(e.actor, e.action, e.target) for e in audit(settings)]
    assert ("anna", "callback.done", str(callback_id)) in actions
    assert ("anna", "callbacks.view", None) in actions


def test_after_the_call_the_box_says_no_call_is_connected_now(
    client: TestClient, settings: Settings
) -> None:
    # During after-call work the last call has completed: the "current call" box must not
    # claim there have been no calls (the call's card is on the desk below it).
    async def calls() -> None:
        async with Database.from_settings(settings) as db:
            await Operators(db).add("anna", "Local/anna@operators", simulated=True)
            events = QueueEvents(db)
            at = utc_now()
            for kind, when in ((QueueEventKind.CONNECT, at), (QueueEventKind.COMPLETE, at)):
                await events.add(
                    QueueEventRecord(when, kind, "1700000000.1", "hotline", member="anna")
                )

    asyncio.run(calls())
    log_in(client, "anna")
    html = client.get("/operator").text
    assert 'id="no-call">Сейчас вы ни с кем не соединены.' in html
    assert "ещё не было" not in html
