"""R-086: the campaign's page says in which zone contacts without one are called, and that a
campaign's own zone overrides the installation's."""

from __future__ import annotations

import asyncio

from fastapi.testclient import TestClient

from dialer.model import CampaignRules
from dialer.repository import DialerStore
from hotline.settings import Settings
from hotline.store.db import Database
from tests.dialer_support import NOW, short_scenario
from tests.web.conftest import log_in


def seed(settings: Settings) -> None:
    async def work() -> None:
        async with Database.from_settings(settings) as db:
            store = DialerStore(db)
            version = await store.add_scenario("debt", short_scenario(), "setup", NOW)
            await store.create_campaign("plain", version.id, CampaignRules(), "setup", NOW)
            moscow = CampaignRules(timezone="Europe/Moscow")
            await store.create_campaign("moscow", version.id, moscow, "setup", NOW)

    asyncio.run(work())


def test_campaign_page_names_the_zone_and_an_override(
    client: TestClient, settings: Settings
) -> None:
    seed(settings)
    log_in(client, "boris")
    plain = client.get("/campaigns/plain")
    assert plain.status_code == 200
    assert f"без своего пояса: {settings.hours.timezone} (пояс установки)" in plain.text
    moscow = client.get("/campaigns/moscow")
    assert "без своего пояса: Europe/Moscow <strong>(задан в правилах кампании" in moscow.text
