"""Issue 21 (the held-writes spool): ``HeldRows``, what the queue, quality and after-call-work
writers hold for the store.  A row the store refuses for being away is held in order and
tried again with back-off; a row refused for its own fault (a constraint, bad data) is dropped
with a log, not retried forever in front of the others.

Checked against the old code: there was no holder; the refused rows were lost."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.exc import IntegrityError, OperationalError

from hotline.store.held_rows import HeldRows
from hotline.store.held_spool import HeldSpool


class Store:
    def __init__(self) -> None:
        self.away = True
        self.rows: list[str] = []

    async def write(self, row: str, again: bool) -> None:
        if self.away:
            raise OperationalError("insert", {}, ConnectionRefusedError("refused"))
        if row == "bad":
            raise IntegrityError("insert", {}, ValueError("constraint"))
        if not (again and row in self.rows):
            self.rows.append(row)


def rows_on(store: Store, spool: HeldSpool) -> HeldRows[str]:
    def to_json(row: str) -> dict[str, Any]:
        return {"row": row}

    def from_json(payload: dict[str, Any]) -> str:
        return str(payload["row"])

    return HeldRows("test row", spool, store.write, to_json, from_json)


async def test_a_bad_row_is_dropped_and_the_others_written_in_order(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    store = Store()
    spool = HeldSpool(tmp_path / "held" / "rows.sqlite", 1 << 20)
    held = rows_on(store, spool)
    for row in ("first", "bad", "last"):
        await held.add(row)
    assert held.held == 3 and store.rows == []
    store.away = False
    task = asyncio.create_task(held.run())
    try:
        with caplog.at_level(logging.ERROR, logger="hotline.store.held_rows"):
            async with asyncio.timeout(60):  # generous on a loaded machine, not a measure
                while held.held:
                    await asyncio.sleep(0.05)
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    assert store.rows == ["first", "last"]
    assert "could not be written: dropped" in caplog.text
    assert await spool.entries() == []
