"""Issue 21 item 3: PostgreSQL goes down in the middle of a call and comes back.

A private cluster (initdb into a temporary folder, its own loopback port, never the shared
server) that this test starts, stops and removes.  The caller is identified while the
database is up; it stops while they type the reading: the commit fails, nothing is stored and
they never hear «принято» (the handler's error sends the call to the dialplan's fallback, the
operator queue).  Once the server is back, the same engine (the same pool) takes the next
reading without a restart."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from typing import Any, cast

import pytest
from sqlalchemy.exc import DBAPIError

from hotline.settings import load_settings
from hotline.store.accounts import AccountRecord, AccountStore, MeterRecord, ReadingStore
from hotline.store.db import Database
from ivr import prompts
from ivr.call import IvrCall
from ivr.dialog import Next, Outcome
from ivr.readings import take_readings
from tests.chaos_pg import NO_SERVER, PrivatePostgres, private_postgres
from tests.unit.test_identify_and_rules import ONE, ScriptedCaller

NOW = dt.datetime(2026, 11, 24, 3, tzinfo=dt.UTC)
ACCOUNT = AccountRecord(
    ONE, "", "", "Asia/Krasnoyarsk", Decimal(0), None, None, None, None, (),
    (MeterRecord("A", 1, 5, (100,), None),),
)  # fmt: skip
pytestmark = NO_SERVER


@pytest.fixture
def postgres() -> Iterator[PrivatePostgres]:
    with private_postgres() as server:
        yield server


class Caller(ScriptedCaller):
    call_id = "c1"

    def __init__(self, *args: Any, on_confirm: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.on_confirm = on_confirm

    async def wait_digit(self, seconds: float) -> str | None:
        if self.on_confirm is not None:  # the caller is about to press 1: the server dies
            await self.on_confirm()
        return await super().wait_digit(seconds)

    async def reading_committed(self, label: str, detail: Any) -> None:
        pass


async def test_a_database_outage_mid_call_confirms_nothing_and_the_engine_recovers(
    postgres: PrivatePostgres,
) -> None:
    settings = load_settings(environ={})
    db = Database(postgres.url)
    try:
        await db.upgrade()
        await AccountStore(db).upsert([ACCOUNT])
        readings = ReadingStore(db)

        async def outage() -> None:
            await asyncio.to_thread(postgres.stop)

        caller = Caller(None, typed=["150"], keys=["1"], on_confirm=outage)
        with pytest.raises(DBAPIError):
            await take_readings(cast(IvrCall, caller), ACCOUNT, readings, settings, lambda: NOW)
        assert prompts.READING_ACCEPTED not in caller.heard

        await asyncio.to_thread(postgres.start)
        caller = Caller(None, typed=["160"], keys=["1"])
        outcome = await take_readings(
            cast(IvrCall, caller), ACCOUNT, readings, settings, lambda: NOW
        )
        assert outcome == Outcome(Next.GOODBYE)
        assert prompts.READING_ACCEPTED in caller.heard
        assert [r.value for r in await readings.history(ONE)] == [160]
    finally:
        await db.dispose()
