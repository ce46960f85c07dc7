"""Campaigns in the console: create, upload a list (report first, nothing saved until
confirmed; a list with errors is never saved), approval by someone other than the author,
start/pause/stop, the live fragment, and the audit trail."""

from __future__ import annotations

import asyncio
import re

from fastapi.testclient import TestClient

from dialer.repository import DialerStore
from hotline.settings import Settings
from hotline.store.audit import AuditLog, AuditRecord
from hotline.store.db import Database
from tests.dialer_support import NOW, contract_accounts, short_scenario
from tests.web.conftest import hidden, log_in


def seed_scenario(settings: Settings) -> None:
    async def work() -> None:
        async with Database.from_settings(settings) as db:
            await db.upgrade()
            await DialerStore(db).add_scenario("debt", short_scenario(), "setup", NOW)
            # A debt campaign calls the numbers in the contract only.
            await contract_accounts(db, {"1001": ("79131234567",), "1002": ("79131234568",)})

    asyncio.run(work())


def audit(settings: Settings) -> list[AuditRecord]:
    async def read() -> list[AuditRecord]:
        async with Database.from_settings(settings) as db:
            return await AuditLog(db).entries()

    return asyncio.run(read())


GOOD = (
    "phone,amount,account\n+79131234567,1500.00,1001\n89131234568,99.90,1002\n"
    "+79131234567,1500.00,1001\n"
)
BAD = (
    "phone,amount,account\n+79131234567,1500.00,1001\nnot a phone,12,1001\n"
    "+79131234569,lots,1002\n"
)


def upload(client: TestClient, csrf: str, name: str, text: str):  # type: ignore[no-untyped-def]
    return client.post(
        f"/campaigns/{name}/contacts",
        data={"csrf_token": csrf},
        files={"file": ("debtors.csv", text.encode("utf-8"), "text/csv")},
    )


def test_campaign_from_creation_to_start(client: TestClient, settings: Settings) -> None:
    seed_scenario(settings)
    csrf = log_in(client, "boris")  # supervisor, the author
    created = client.post(
        "/campaigns", data={"csrf_token": csrf, "name": "dec-debt", "scenario": "debt"}
    )
    assert created.status_code == 200 and "Кампания dec-debt" in created.text

    # A list with errors: the report by row, and nothing stored.
    bad = upload(client, csrf, "dec-debt", BAD)
    assert bad.status_code == 422 and "Ничего не сохранено" in bad.text
    errors = re.findall(r"<li>(row \d+[^<]*)</li>", bad.text)
    assert [e.split(",")[0] for e in errors] == ["row 3", "row 4"]
    assert 'id="confirm-contacts"' not in bad.text

    good = upload(client, csrf, "dec-debt", GOOD)
    assert good.status_code == 200 and "Будет загружено контактов: <strong>2</strong>" in good.text
    assert "Дубликаты" in good.text
    # Still nothing stored before the confirmation.
    assert "Список контактов не загружен" in good.text
    saved = client.post(
        "/campaigns/dec-debt/contacts/confirm",
        data={
            "csrf_token": csrf,
            "token": hidden(good.text, "token"),
            "suffix": ".csv",
            "list_name": "debtors",
        },
    )
    assert saved.status_code == 200 and "debtors» (версия 1, boris): 2 контактов" in saved.text

    # The author cannot approve their own campaign.
    own = client.post("/campaigns/dec-debt/approve", data={"csrf_token": csrf})
    assert own.status_code == 409
    client.post("/logout", data={"csrf_token": csrf})
    csrf = log_in(client, "vera")  # admin, not the author
    assert client.post("/campaigns/dec-debt/approve", data={"csrf_token": csrf}).status_code == 200
    started = client.post("/campaigns/dec-debt/start", data={"csrf_token": csrf})
    assert 'id="campaign-state">идёт' in started.text
    board = client.get("/wallboard").text
    assert '<tr data-campaign="dec-debt"><td>dec-debt</td><td>идёт</td><td>0 / 2</td>' in board
    paused = client.post("/campaigns/dec-debt/pause", data={"csrf_token": csrf})
    assert 'id="campaign-state">приостановлена' in paused.text
    assert "кампания приостановлена" in paused.text  # why it is not dialing
    assert client.get("/campaigns").text.count('data-campaign="dec-debt"') == 1
    csv = client.get("/campaigns/dec-debt/report.csv").content.decode("utf-8-sig")
    # Two contacts waiting for their first call; each code column has its label beside it.
    assert "pending;ждёт звонка;;;;;2" in csv.splitlines()
    assert client.get("/campaigns/dec-debt/report.xlsx").content[:2] == b"PK"

    actions = [(e.actor, e.action) for e in audit(settings) if e.action.startswith("campaign.")]
    assert actions[:6] == [
        ("vera", "campaign.report"),
        ("vera", "campaign.report"),
        ("vera", "campaign.pause"),
        ("vera", "campaign.start"),
        ("vera", "campaign.approve"),
        ("boris", "campaign.contacts"),
    ]


def test_operators_cannot_run_campaigns(client: TestClient, settings: Settings) -> None:
    csrf = log_in(client, "anna")
    assert client.get("/campaigns").status_code == 403
    refused = client.post("/campaigns", data={"csrf_token": csrf, "name": "x", "scenario": "debt"})
    assert refused.status_code == 403


def test_stale_or_forged_upload_reference(client: TestClient, settings: Settings) -> None:
    seed_scenario(settings)
    csrf = log_in(client, "boris")
    client.post("/campaigns", data={"csrf_token": csrf, "name": "c1", "scenario": "debt"})
    form = {"csrf_token": csrf, "suffix": ".csv", "list_name": "x"}
    forged = client.post(
        "/campaigns/c1/contacts/confirm", data={**form, "token": "../../etc/passwd"}
    )
    assert forged.status_code == 400
    stale = client.post("/campaigns/c1/contacts/confirm", data={**form, "token": "a" * 32})
    assert stale.status_code == 410
