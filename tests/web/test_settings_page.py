"""Admins see the effective settings (secrets masked) and change the dialer's pacing limits
while running; audited; other roles cannot."""

from __future__ import annotations

import asyncio

from fastapi.testclient import TestClient
from pydantic import SecretStr

from dialer.repository import DialerStore
from hotline.settings import Settings
from hotline.store.db import Database
from hotline.web.app import create_app
from tests.web.conftest import log_in


def test_admin_sees_settings_and_sets_dialer_limits(
    client: TestClient, settings: Settings
) -> None:
    csrf = log_in(client, "vera")
    html = client.get("/admin/settings").text
    assert "&#34;calls_per_second&#34;" in html or '"calls_per_second"' in html
    limits = {
        "csrf_token": csrf,
        "calls_per_second": "2.5",
        "trunk_channels": "12",
        "same_number_gap_seconds": "3600",
    }
    assert client.post("/admin/settings/dialer", data=limits).status_code == 200
    bad = client.post("/admin/settings/dialer", data={**limits, "calls_per_second": "-1"})
    assert bad.status_code == 422

    async def stored() -> dict[str, float]:
        async with Database.from_settings(settings) as db:
            return await DialerStore(db).limits()

    assert asyncio.run(stored()) == {
        "calls_per_second": 2.5,
        "trunk_channels": 12.0,
        "same_number_gap_seconds": 3600.0,
    }


def test_secrets_are_masked(settings: Settings) -> None:
    # A configured AMI secret (on a port nothing listens on: no PBX is contacted).
    ami = settings.ami.model_copy(update={"secret": SecretStr("s3cr3t-value"), "port": 1})
    with TestClient(
        create_app(settings.model_copy(update={"ami": ami})), base_url="http://127.0.0.1"
    ) as client:
        log_in(client, "vera")
        html = client.get("/admin/settings").text
    assert "&#34;secret&#34;: &#34;**********&#34;" in html
    assert "s3cr3t-value" not in html


def test_supervisors_cannot_change_settings(client: TestClient) -> None:
    csrf = log_in(client, "boris")
    assert client.get("/admin/settings").status_code == 403
    form = {"csrf_token": csrf, "calls_per_second": "1", "trunk_channels": "1"}
    assert client.post("/admin/settings/dialer", data=form).status_code == 403
