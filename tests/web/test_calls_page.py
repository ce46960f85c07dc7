"""The call list: an operator sees the calls they answered, a supervisor every call; audited."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient

from hotline.settings import Settings
from hotline.store.audit import AuditLog
from hotline.store.calllog import CallLog
from hotline.store.db import Database
from hotline.store.enums import CallDirection, QueueEventKind
from hotline.store.queue_events import QueueEventRecord, QueueEvents
from tests.web.conftest import log_in


def seed(settings: Settings) -> None:
    now = datetime.now(UTC) - timedelta(minutes=30)

    async def work() -> None:
        async with Database.from_settings(settings) as db:
            log, events = CallLog(db), QueueEvents(db)
            for uid, caller, member in (
                ("c.1", "79130000001", "anna"),
                ("c.2", "79130000002", "gleb"),
                ("c.3", "79130000003", None),  # served by the IVR alone
            ):
                await log.open(
                    uniqueid=uid, direction=CallDirection.INBOUND, started_at=now, caller=caller
                )
                if member is not None:
                    queue = settings.queue.name
                    await events.add(QueueEventRecord(now, QueueEventKind.JOIN, uid, queue))
                    await events.add(
                        QueueEventRecord(now, QueueEventKind.CONNECT, uid, queue, member=member)
                    )

    asyncio.run(work())


def test_operator_sees_own_calls_supervisor_all(client: TestClient, settings: Settings) -> None:
    seed(settings)
    log_in(client, "anna")
    own = client.get("/calls").text
    assert "Мои звонки" in own and "79130000001" in own
    assert "79130000002" not in own and "79130000003" not in own
    client.cookies.clear()
    log_in(client, "boris")
    everything = client.get("/calls").text
    assert all(f"7913000000{n}" in everything for n in (1, 2, 3))

    async def viewed() -> list[str]:
        async with Database.from_settings(settings) as db:
            return [e.actor for e in await AuditLog(db).entries(action="calls.view")]

    assert asyncio.run(viewed()) == ["boris", "anna"]
