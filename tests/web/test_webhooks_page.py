"""The console's webhooks page (issue 22 item 4): supervisors and admins see each endpoint's
backlog and the dead letters with their last error, and «Повторить» puts one back in line
(audited); an operator may not."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from hotline.settings import Settings, load_settings
from hotline.store.accounts import ReadingDraft, ReadingStore
from hotline.store.db import Database
from hotline.store.webhooks import WebhookStore
from hotline.web.app import create_app
from tests.web.conftest import log_in, seed_users
from tests.web.test_console_auth import audit_entries

AT = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    endpoint = {"name": "billing", "url": "http://127.0.0.1:9/hook", "secret_env": "B_SECRET"}
    settings = load_settings(
        overrides={
            "store": {"url": f"sqlite+aiosqlite:///{tmp_path / 'hotline.db'}"},
            "paths": {"recordings_dir": str(tmp_path / "recordings")},
            "sandbox": {"enabled": False},
            "webhooks": {"endpoints": [endpoint]},
        }
    )
    asyncio.run(seed_users(settings))
    return settings


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings), base_url="http://127.0.0.1") as client:
        yield client


def dead_letter(settings: Settings) -> int:
    """A reading whose delivery to billing was given up."""

    async def make() -> int:
        async with Database.from_settings(settings) as db:
            draft = ReadingDraft(None, "100000000001", "M1", 1, "2026-11", 12400, 12345)
            await ReadingStore(db).submit(draft, at=AT)
            store = WebhookStore(db)
            await store.fan_out({"billing": ()}, AT)
            (delivery,) = await store.heads("billing", 10)
            await store.mark_dead(delivery.id, "HTTP 503: Service Unavailable", AT)
            return delivery.id

    return asyncio.run(make())


def pending(settings: Settings) -> int:
    async def read() -> int:
        async with Database.from_settings(settings) as db:
            return len(await WebhookStore(db).heads("billing", 10))

    return asyncio.run(read())


def test_supervisor_sees_the_dead_letter_and_retries_it(
    client: TestClient, settings: Settings
) -> None:
    delivery_id = dead_letter(settings)
    csrf = log_in(client, "boris")  # a supervisor
    assert 'href="/webhooks"' in client.get("/").text
    page = client.get("/webhooks")
    assert page.status_code == 200
    assert "http://127.0.0.1:9/hook" in page.text
    assert "HTTP 503: Service Unavailable" in page.text
    assert "показания приняты" in page.text  # the kind's Russian label
    assert "Повторить" in page.text
    again = client.post(f"/webhooks/{delivery_id}/retry", data={"csrf_token": csrf})
    assert again.status_code == 200 and "Все уведомления доставлены" in again.text
    assert pending(settings) == 1
    (entry,) = [e for e in audit_entries(settings) if e.action == "webhook.retry"]
    assert (entry.actor, entry.target) == ("boris", str(delivery_id))
    gone = client.post(f"/webhooks/{delivery_id}/retry", data={"csrf_token": csrf})
    assert gone.status_code == 404


def test_an_operator_may_not(client: TestClient, settings: Settings) -> None:
    delivery_id = dead_letter(settings)
    csrf = log_in(client, "anna")  # an operator
    assert client.get("/webhooks").status_code == 403
    refused = client.post(f"/webhooks/{delivery_id}/retry", data={"csrf_token": csrf})
    assert refused.status_code == 403
    assert pending(settings) == 0
