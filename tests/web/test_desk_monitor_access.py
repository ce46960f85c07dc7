"""Issue 17 item 7: only supervisors monitor operators' calls.  An operator neither sees the
monitoring panel on the wallboard nor may start listen, whisper or barge (403, nothing
audited); a supervisor sees the panel with its three modes."""

from __future__ import annotations

import asyncio

from fastapi.testclient import TestClient

from hotline.settings import Settings
from hotline.store.audit import AuditLog
from hotline.store.db import Database
from tests.web.conftest import log_in


async def monitor_entries(settings: Settings) -> list[str]:
    async with Database.from_settings(settings) as db:
        return [e.action for e in await AuditLog(db).entries() if e.action.startswith("monitor.")]


def test_an_operator_is_refused_the_spy_action(client: TestClient, settings: Settings) -> None:
    csrf = log_in(client, "anna")
    assert 'hx-get="/wallboard/monitor"' not in client.get("/wallboard").text
    assert client.get("/wallboard/monitor").status_code == 403
    for mode in ("listen", "whisper", "barge"):
        refused = client.post(
            "/wallboard/monitor", data={"operator": "vera", "mode": mode, "csrf_token": csrf}
        )
        assert refused.status_code == 403
    assert asyncio.run(monitor_entries(settings)) == []


def test_a_supervisor_sees_the_panel(client: TestClient, settings: Settings) -> None:
    csrf = log_in(client, "boris")
    assert 'hx-get="/wallboard/monitor"' in client.get("/wallboard").text
    panel = client.get("/wallboard/monitor")
    assert panel.status_code == 200 and "Сейчас никто не разговаривает." in panel.text
    # No call and no AMI here: refused with the reason, and nothing audited.
    tried = client.post(
        "/wallboard/monitor", data={"operator": "anna", "mode": "listen", "csrf_token": csrf}
    )
    assert tried.status_code == 409 and 'id="monitor-message"' in tried.text
    assert asyncio.run(monitor_entries(settings)) == []
