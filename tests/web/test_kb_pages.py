"""The knowledge base in the console (issue 17 item 6): the operator's panel shows the call
scripts with their name (R-047, R-050, R-060), searches in Russian and lists the most asked
menu choices with their articles (R-127); supervisors write and edit articles (audited),
operators may not; overdue reviews are flagged (R-128)."""

from __future__ import annotations

import asyncio
import re

from fastapi.testclient import TestClient

from hotline.settings import Settings
from hotline.store.calllog import CallLog
from hotline.store.db import Database
from hotline.store.enums import CallDirection, EventKind
from hotline.store.operators import Operators
from tests.web.conftest import log_in
from tests.web.test_console_auth import audit_entries

ARTICLE = {
    "title": "Передача показаний счётчика",
    "body": "Показания принимаются с 15 по 25 число.\nПо телефону, на сайте, в офисе.",
    "topics": "readings, meters",
    "review_due": "2030-01-01",
}


def _add(client: TestClient, csrf: str, **changes: str) -> int:
    response = client.post("/kb", data={**ARTICLE, **changes, "csrf_token": csrf})
    assert response.status_code == 200, response.text
    found = re.search(r'id="kb-article-(\d+)"', response.text)
    assert found, response.text
    return int(found.group(1))


def _prepare(settings: Settings) -> None:
    async def run() -> None:
        async with Database.from_settings(settings) as db:
            await Operators(db).add("anna", "Local/anna@x", full_name="Анна")
            log = CallLog(db)
            for n, node in enumerate(("readings", "readings", "balance")):
                await log.open(uniqueid=f"u{n}", direction=CallDirection.INBOUND)
                await log.add_event(f"u{n}", EventKind.NODE, "main")
                await log.add_event(f"u{n}", EventKind.NODE, node)

    asyncio.run(run())


def test_supervisor_writes_operator_finds_it_in_the_panel(
    client: TestClient, settings: Settings
) -> None:
    _prepare(settings)
    csrf = log_in(client, "boris")
    article_id = _add(client, csrf)
    old = _add(
        client, csrf, title="Старые тарифы", body="Тарифы 2020 года.", review_due="2021-01-01"
    )
    listing = client.get("/kb").text
    assert "Передача показаний счётчика" in listing and "требует пересмотра" in listing
    assert "Срок пересмотра прошёл 01.01.2021" in client.get(f"/kb/{old}").text

    client.post("/logout", data={"csrf_token": csrf})
    log_in(client, "anna")
    panel = client.get("/operator/kb").text
    # greeting, company, the operator's own name; R-050; R-060.
    assert "Здравствуйте! Энергосбыт. Анна. Чем я могу Вам помочь?" in panel
    assert "Спасибо за ожидание." in panel
    assert "Спасибо за звонок. Всего доброго. До свидания." in panel
    # readings twice, balance once; the start node is no choice.
    asked = re.findall(r'<li data-topic="([^"]+)">', panel)
    assert asked == ["readings", "balance"]
    assert f'href="/kb/{article_id}"' in panel

    found = client.get("/kb/search", params={"q": "счётчиков"}).text
    assert f'data-article="{article_id}"' in found and str(old) not in found
    assert "не найдено" in client.get("/kb/search", params={"q": "холодильник"}).text
    body = client.get(f"/kb/{article_id}", params={"panel": "true"}).text
    assert "Показания принимаются с 15 по 25 число." in body and "<html" not in body
    assert "kb-panel" in client.get("/operator").text


def test_operator_may_not_write_and_edits_are_audited(
    client: TestClient, settings: Settings
) -> None:
    csrf = log_in(client, "anna")
    assert client.post("/kb", data={**ARTICLE, "csrf_token": csrf}).status_code == 403
    assert 'id="kb-form"' not in client.get("/kb").text
    client.post("/logout", data={"csrf_token": csrf})

    csrf = log_in(client, "boris")
    article_id = _add(client, csrf)
    edited = client.post(
        f"/kb/{article_id}",
        data={**ARTICLE, "owner": "vera", "title": "Показания", "csrf_token": csrf},
    )
    assert edited.status_code == 200 and "ответственный: vera" in edited.text
    bad = client.post("/kb", data={**ARTICLE, "topics": "Показания", "csrf_token": csrf})
    assert bad.status_code == 422 and "Статья не сохранена" in bad.text
    assert (
        client.post("/kb/999", data={**ARTICLE, "owner": "boris", "csrf_token": csrf}).status_code
        == 404
    )
    actions = [(e.actor, e.action, e.target) for e in audit_entries(settings)[:2]]
    assert actions == [
        ("boris", "kb.edit", str(article_id)),
        ("boris", "kb.create", str(article_id)),
    ]
