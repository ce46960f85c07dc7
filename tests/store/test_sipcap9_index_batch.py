"""Issue 19 item 1 (the menu's start): every call's recording was indexed in a transaction of its
own while its menu started, a burst of them when callers arrive together.  The index rows
asked for together are now one statement, each caller's row still committed before its
write returns, idempotent by path, with the call's id; a refused batch fails each of its
writers (the IVR logs it and the call goes on).  On SQLite and PostgreSQL.

Checked against the old code: ``start_recording`` indexed with ``Recordings.started``, one
INSERT each (three here)."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy.exc import OperationalError

from hotline.store.calllog import CallLog
from hotline.store.db import Database
from hotline.store.enums import CallDirection
from hotline.store.recordings import Recordings
from tests.store.test_sipcap5_tracker_completion import statements
from tests.store.test_soak_event_outbox import Flaky

CALLS = ("1800000200.1", "1800000200.2", "1800000200.3")


class Away(Flaky):
    """The database down (connection refused) until ``down`` is cleared."""

    @property
    def engine(self) -> Any:
        return self.db.engine


async def test_index_rows_asked_together_are_one_statement(
    db: Database, call_log: CallLog
) -> None:
    for uniqueid in CALLS[:2]:  # the third has no call row (yet): indexed without its id
        await call_log.open(uniqueid=uniqueid, direction=CallDirection.INBOUND)
    recordings = Recordings(db)
    with statements(db) as seen:
        await asyncio.gather(
            *(recordings.index_soon(u, f"/rec/{u}.wav", caller="79131234567") for u in CALLS)
        )
    assert len([s for s in seen if s.startswith("INSERT")]) == 1, seen
    # Idempotent by path, and each hang-up answered from memory, no query.
    await recordings.index_soon(CALLS[0], f"/rec/{CALLS[0]}.wav", caller=None)
    with statements(db) as seen:
        assert all([await recordings.any_for(u) for u in CALLS])
    assert seen == []
    rows = {r.uniqueid: r for r in await recordings.find()}
    assert sorted(rows) == list(CALLS)
    assert rows[CALLS[0]].call_id is not None and rows[CALLS[2]].call_id is None
    assert rows[CALLS[0]].caller == "79131234567"


async def test_a_refused_batch_fails_each_writer(db: Database) -> None:
    await db.upgrade()
    flaky = Away(db)
    flaky.down = True
    recordings = Recordings(flaky)  # type: ignore[arg-type]
    results = await asyncio.gather(
        *(recordings.index_soon(u, f"/rec/{u}.wav", caller=None) for u in CALLS),
        return_exceptions=True,
    )
    assert all(isinstance(r, OperationalError) for r in results)
    flaky.down = False
    await recordings.index_soon(CALLS[0], f"/rec/{CALLS[0]}.wav", caller=None)  # back: written
    assert [r.uniqueid for r in await Recordings(db).find()] == [CALLS[0]]
