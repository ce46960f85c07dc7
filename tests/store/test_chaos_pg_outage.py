"""Issue 21 item 3: PostgreSQL goes down in the middle of a call and comes back.

A private cluster (initdb into a temporary folder, its own loopback port, never the shared
server) that this test starts, stops and removes.  The caller is identified while the
database is up; it stops while they type the reading: the commit fails, nothing is stored and
they never hear «принято» (the handler's error sends the call to the dialplan's fallback, the
operator queue).  Once the server is back, the same engine (the same pool) takes the next
reading without a restart."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import glob
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
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
from tests.unit.test_identify_and_rules import ONE, ScriptedCaller

NOW = dt.datetime(2026, 11, 24, 3, tzinfo=dt.UTC)
ACCOUNT = AccountRecord(
    ONE, "", "", "Asia/Krasnoyarsk", Decimal(0), None, None, None, None, (),
    (MeterRecord("A", 1, 5, (100,), None),),
)  # fmt: skip
BINARIES = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))

pytestmark = pytest.mark.skipif(not BINARIES, reason="PostgreSQL server binaries not installed")


@dataclass
class PrivatePostgres:
    folder: Path
    port: int

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://hotline@127.0.0.1:{self.port}/postgres"

    def _run(self, *argv: str) -> None:
        binary = str(Path(BINARIES[-1]).with_name(argv[0]))
        command = [binary, *argv[1:]]
        if os.geteuid() == 0:  # the server refuses to run as root
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, capture_output=True, timeout=60)

    def init(self) -> None:
        self._run("initdb", "-D", str(self.folder / "data"), "-A", "trust", "-U", "hotline",
                  "--no-sync", "-E", "UTF8")  # fmt: skip

    def start(self) -> None:
        options = (
            f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c full_page_writes=off -c synchronous_commit=off"
        )
        self._run("pg_ctl", "-D", str(self.folder / "data"), "-o", options, "-l",
                  str(self.folder / "server.log"), "-w", "-t", "30", "start")  # fmt: skip

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.folder / "data"), "-m", "fast", "-w", "stop")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def postgres() -> Iterator[PrivatePostgres]:
    folder = Path(tempfile.mkdtemp(prefix="hotline-pg-"))
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres", "postgres")
    server = PrivatePostgres(folder, free_port())
    server.init()
    server.start()
    try:
        yield server
    finally:
        with contextlib.suppress(subprocess.SubprocessError):
            server.stop()
        shutil.rmtree(folder, ignore_errors=True)


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
