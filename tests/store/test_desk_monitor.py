"""Issue 17 item 7 over a stub AMI and a real store: listen / whisper / barge originate the
supervisor's own phone into ChanSpy on the operator's channel and are audited; refusals send
nothing; the operators in a call with their long-call level (R-039) from scripted queue
events."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from hotline.contact_center.monitor import LongCall, MonitorError, active_calls, long_call, spy
from hotline.dialplan.names import CONTEXT_SPY, ChannelVar, SpyMode
from hotline.settings import Settings, load_settings
from hotline.settings.desk import MonitorSettings
from hotline.store.audit import Actor, AuditLog
from hotline.store.calllog import CallLog
from hotline.store.db import Database
from hotline.store.enums import CallDirection, QueueEventKind
from hotline.store.operators import Operators
from hotline.store.queue_events import QueueEventRecord, QueueEvents

CHANNEL = "PJSIP/carrier-00000001"
PEER = "PJSIP/anna-00000002"
UNIQUEID = "1700000000.1"
BORIS = Actor("boris", "web")


class StubAmi:
    def __init__(self) -> None:
        self.connected = True
        self.originated: list[dict[str, Any]] = []

    async def getvar(self, channel: str, variable: str) -> str | None:
        assert (channel, variable) == (CHANNEL, "BRIDGEPEER")
        return PEER

    async def originate(self, channel: str, **kwargs: Any) -> str:
        self.originated.append({"channel": channel, **kwargs})
        return "id"


@pytest.fixture
async def db(db_url: str) -> AsyncIterator[Database]:
    database = Database(db_url)
    await database.upgrade()
    yield database
    await database.dispose()


async def connect(db: Database, operator: str, uniqueid: str, at: datetime, queue: str) -> None:
    await QueueEvents(db).add(
        QueueEventRecord(at, QueueEventKind.CONNECT, uniqueid, queue, member=operator, wait=3)
    )


async def test_each_mode_rings_the_supervisors_phone_into_chanspy(db: Database) -> None:
    await CallLog(db).open(uniqueid=UNIQUEID, direction=CallDirection.INBOUND, channel=CHANNEL)
    await connect(db, "anna", UNIQUEID, datetime.now(UTC), "hotline-operators")
    operators = Operators(db)
    await operators.add("anna", "PJSIP/anna")
    ami = StubAmi()
    with pytest.raises(MonitorError, match="no phone"):
        await spy(ami, db, "anna", SpyMode.LISTEN, "boris", BORIS)  # type: ignore[arg-type]
    await operators.add("boris", "PJSIP/boris")
    with pytest.raises(MonitorError, match="no call in progress"):
        await spy(ami, db, "vera", SpyMode.LISTEN, "boris", BORIS)  # type: ignore[arg-type]
    assert ami.originated == []
    assert await AuditLog(db).entries() == []
    for mode in SpyMode:
        await spy(ami, db, "anna", mode, "boris", BORIS)  # type: ignore[arg-type]
    assert [(o["channel"], o["context"], o["exten"], o["variables"]) for o in ami.originated] == [
        ("PJSIP/boris", CONTEXT_SPY, mode.value, {ChannelVar.SPY_CHANNEL.value: PEER})
        for mode in SpyMode
    ]
    entries = await AuditLog(db).entries()
    assert sorted((e.action, e.actor, e.target) for e in entries) == sorted(
        (f"monitor.{mode.value}", "boris", "anna") for mode in SpyMode
    )


def test_long_call_levels() -> None:
    settings = MonitorSettings()
    assert (settings.long_call_warning, settings.long_call_limit) == (360, 1200)
    assert long_call(360, "operators", settings) is None
    assert long_call(361, "operators", settings) is LongCall.WARNING
    assert long_call(1201, "dispatcher", settings) is LongCall.LIMIT
    legal = MonitorSettings(long_call_departments=("legal",))
    assert long_call(1201, "operators", legal) is None
    assert long_call(400, "legal", legal) is LongCall.WARNING


async def test_active_calls_with_their_levels(db: Database) -> None:
    settings: Settings = load_settings()
    now = datetime.now(UTC)
    operators = Operators(db)
    for name in ("anna", "nina", "olga"):
        await operators.add(name, f"PJSIP/{name}")
    await connect(db, "anna", "u1", now - timedelta(minutes=7), "hotline-operators")
    await connect(db, "nina", "u2", now - timedelta(minutes=21), "hotline-dispatcher")
    await connect(db, "olga", "u3", now - timedelta(minutes=30), "hotline-operators")
    await QueueEvents(db).add(
        QueueEventRecord(now, QueueEventKind.COMPLETE, "u3", "hotline-operators", member="olga")
    )
    calls = await active_calls(db, settings, now)
    assert [(c.operator, c.department, c.level) for c in calls] == [
        ("nina", "dispatcher", LongCall.LIMIT),
        ("anna", "operators", LongCall.WARNING),
    ]
