"""Issue 21 item 3: the dialer rides out a database outage.  A failing pass (the restart
reconciliation or a dispatch) no longer ends the dialer's loop (the reconciliation's error
escaped it, and the supervisor restarted the whole dialer every second, a traceback each
time); passes back off while they fail and come back to the tick once they work."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy.exc import OperationalError

import dialer.engine as engine_module
from dialer.engine import MAX_BACKOFF_SECONDS, backoff
from hotline.store.db import Database
from tests.dialer_support import NOW, Clock
from tests.unit.test_dialer_service import make_dialer


def test_backoff_doubles_and_is_capped() -> None:
    assert [backoff(0.2, n) for n in range(4)] == [0.2, 0.4, 0.8, 1.6]
    assert backoff(0.2, 50) == MAX_BACKOFF_SECONDS
    assert backoff(60.0, 3) == 60.0  # never shorter than a tick


async def test_failing_passes_back_off_and_the_loop_survives(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'h.db'}")
    await db.upgrade()
    dialer, _ = make_dialer(db, Clock(NOW), tick_seconds=0.2)
    outage = OperationalError("SELECT 1", {}, Exception("connection refused"))
    results: list[Exception | None] = [outage, outage, outage, None, None]
    passes: list[str] = []

    async def reconcile() -> None:
        passes.append("reconcile")
        result = results.pop(0)
        if result is not None:
            raise result
        dialer._attempts.reconciled.set()

    async def dispatch_once() -> int:
        passes.append("dispatch")
        return 0

    pauses: list[float] = []
    real_sleep = asyncio.sleep

    async def sleep(seconds: float) -> None:
        pauses.append(seconds)
        if len(pauses) > 5:
            raise asyncio.CancelledError
        await real_sleep(0)

    monkeypatch.setattr(dialer, "reconcile", reconcile)
    monkeypatch.setattr(dialer, "dispatch_once", dispatch_once)
    monkeypatch.setattr(engine_module.asyncio, "sleep", sleep)
    try:
        with pytest.raises(asyncio.CancelledError):
            await dialer._dispatch_loop()
    finally:
        await db.dispose()
    assert passes == ["reconcile"] * 4 + ["dispatch"]
    assert pauses == [0.2, 0.4, 0.8, 1.6, 0.2, 0.2]
