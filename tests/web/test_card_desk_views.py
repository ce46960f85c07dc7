"""The operator's desk on the operator page without a PBX (issue 17): the customer card on
the screen pop, the browser's report of the card drawn, the disposition form and its refusals,
«Готов» without the PBX."""

from __future__ import annotations

import asyncio
import datetime as dt
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from fastapi.testclient import TestClient

from hotline.settings import Settings
from hotline.store.accounts import AccountRecord, AccountStore, MeterRecord
from hotline.store.calllog import CallLog
from hotline.store.db import Database
from hotline.store.desk import DeskStore
from hotline.store.enums import CallDirection, EventKind
from hotline.store.enums import QueueEventKind as K
from hotline.store.operators import Operators
from hotline.store.queue_events import QueueEventRecord, QueueEvents
from tests.web.conftest import log_in

CALLER = "79131234567"
ACCOUNT = "100000000001"


def seed(settings: Settings) -> None:
    async def work() -> None:
        async with Database.from_settings(settings) as db:
            await Operators(db).add("anna", "Local/anna@operators", simulated=True)
            await AccountStore(db).upsert(
                [
                    AccountRecord(
                        ACCOUNT,
                        "Иванов Иван Иванович",
                        "г. Красноярск, ул. Ленина, д. 1",
                        "Asia/Krasnoyarsk",
                        Decimal("1234.56"),
                        dt.date(2026, 12, 25),
                        None,
                        None,
                        250,
                        (CALLER,),
                        (MeterRecord("00112233", 1, 6, (12345,), dt.date(2026, 11, 1)),),
                    )
                ]
            )
            log = CallLog(db)
            at = datetime.now(UTC) - timedelta(minutes=1)
            await log.open(
                uniqueid="u1", direction=CallDirection.INBOUND, caller=CALLER, started_at=at
            )
            await log.add_event("u1", EventKind.ACCOUNT, ACCOUNT)
            events = QueueEvents(db)
            await events.add(QueueEventRecord(at, K.JOIN, "u1", "hotline"))
            await events.add(QueueEventRecord(at, K.CONNECT, "u1", "hotline", "anna", wait=3))

    asyncio.run(work())


def dispositions(settings: Settings) -> dict[str, tuple[str, str]]:
    async def read() -> dict[str, tuple[str, str]]:
        async with Database.from_settings(settings) as db:
            kept = await DeskStore(db).dispositions(["u1"])
            return {k: (v.call_type, v.result) for k, v in kept.items()}

    return asyncio.run(read())


def test_the_card_the_lookup_report_and_the_disposition(
    client: TestClient, settings: Settings
) -> None:
    seed(settings)
    csrf = log_in(client, "anna")
    html = client.get("/operator").text
    assert 'id="card"' in html and 'data-live="1"' in html
    assert "Иванов Иван Иванович" in html and "1234,56 ₽" in html and "12345" in html
    assert 'id="disposition-u1"' in html

    # The browser reports the card drawn: CSRF-checked, once per call.
    assert client.post("/operator/desk/card-shown", data={"uniqueid": "u1"}).status_code == 403
    shown = client.post("/operator/desk/card-shown", data={"csrf_token": csrf, "uniqueid": "u1"})
    assert shown.status_code == 200 and shown.json()["target"] == 45
    assert 0 < shown.json()["seconds"] < 3600
    other = client.post("/operator/desk/card-shown", data={"csrf_token": csrf, "uniqueid": "u9"})
    assert other.status_code == 404

    form = {"csrf_token": csrf, "uniqueid": "u1", "call_type": "personal"}
    refused = client.post("/operator/desk/disposition", data={**form, "result": "shrugged"})
    assert refused.status_code == 422
    assert dispositions(settings) == {}
    saved = client.post("/operator/desk/disposition", data={**form, "result": "answered"})
    assert saved.status_code == 200 and 'id="disposed"' in saved.text
    assert "Вопрос решён" in saved.text
    assert dispositions(settings) == {"u1": ("personal", "answered")}

    # «Готов» needs the PBX; without it the page says so.
    ready = client.post("/operator/desk/ready", data={"csrf_token": csrf})
    assert ready.status_code == 503 and "АТС недоступна" in ready.text


def test_a_disposition_for_someone_elses_call_is_refused(
    client: TestClient, settings: Settings
) -> None:
    seed(settings)
    csrf = log_in(client, "boris")
    refused = client.post(
        "/operator/desk/disposition",
        data={"csrf_token": csrf, "uniqueid": "u1", "call_type": "general", "result": "answered"},
    )
    assert refused.status_code == 404
    assert dispositions(settings) == {}


def test_the_operator_takes_a_reading_in_the_card(client: TestClient, settings: Settings) -> None:
    seed(settings)
    csrf = log_in(client, "anna")
    form = {"csrf_token": csrf, "uniqueid": "u1", "meter_id": "00112233", "zone": "1"}
    lower = client.post("/operator/desk/reading", data={**form, "value": "12000"})
    assert lower.status_code == 422 and "меньше последнего принятого показания" in lower.text
    other = client.post("/operator/desk/reading", data={**form, "uniqueid": "u9", "value": "1"})
    assert other.status_code == 404
    taken = client.post("/operator/desk/reading", data={**form, "value": "12400"})
    assert taken.status_code == 200 and "12400 (передано в этом звонке)" in taken.text
