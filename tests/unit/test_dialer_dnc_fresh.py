"""The do-not-call list as the dispatcher reads it (issue 19 item 6: the event loop stays free).

A number put on the list during a long pass is not dialled for the rest of it: each round asks
the store which of the numbers it is about to dial are listed (``DoNotCallList.listed``).  The
pass is held at its first round's second mark (stub AMI, the dialer's clock frozen), the last
numbers are listed meanwhile, and the pass goes on.

The whole list is never read on the way: every pass read it (a tick old at most), also with
no campaign running, and 100,000 numbers, a utility's list, held the engine's loop 0.16-0.3 s
at every tick.  An idle pass now reads the campaigns and nothing else.  Checked against the
old code: both statement tests fail there."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event

from dialer.model import CampaignState
from hotline.store.db import BATCH_ROWS, Database
from tests.dialer_support import NOW, Clock, running_campaign
from tests.unit.test_dialer_round_ahead import PHONES, held_in_first_round, resume_a_tick_later
from tests.unit.test_dialer_service import OPEN, db, make_dialer

__all__ = ["db"]

WHOLE_LIST = "SELECT dnc_numbers.phone FROM dnc_numbers"


@contextmanager
def statements(db: Database) -> Iterator[list[str]]:
    """Every statement's text, whitespace folded, while the block runs."""
    seen: list[str] = []

    def noted(_conn: Any, _cursor: Any, text: str, *_args: Any) -> None:
        seen.append(" ".join(text.split()))

    engine = db.engine.sync_engine
    event.listen(engine, "before_cursor_execute", noted)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", noted)


async def test_numbers_listed_during_a_pass_are_not_dialled_in_it(
    db: Database, tmp_path: Path
) -> None:
    dialer, ami, store, task, go, _sizes = await held_in_first_round(db, tmp_path)
    listed = PHONES[-2:]
    await store.dnc_add(listed, "supervisor", "asked not to be called", NOW)
    await resume_a_tick_later(dialer, task, go)
    numbers = {call["channel"].split("/")[1].split("@")[0] for call in ami.originated}
    assert numbers == {p.lstrip("+") for p in PHONES[:-2]}


async def test_listed_answers_for_the_numbers_asked_in_batches(db: Database) -> None:
    dialer, _ami = make_dialer(db, Clock(NOW))
    store = dialer.store
    on_list = [f"+7913100{n:04d}" for n in range(0, 2 * BATCH_ROWS + 50, 2)]
    await store.dnc_add(on_list, "supervisor", "asked not to be called", NOW)
    asked = [f"+7913100{n:04d}" for n in range(2 * BATCH_ROWS + 50)]  # three batches
    with statements(db) as seen:
        found = await store.dnc_listed([*asked, asked[0]])
    assert found == frozenset(on_list)
    assert len([s for s in seen if s.startswith("SELECT dnc_numbers.phone")]) == 3
    assert await store.dnc_listed([]) == frozenset()


async def test_an_idle_pass_reads_the_campaigns_and_nothing_else(
    db: Database, tmp_path: Path
) -> None:
    dialer, ami = make_dialer(db, Clock(NOW))
    store = dialer.store
    campaign = await running_campaign(store, tmp_path, PHONES[:2], rules=OPEN)
    assert (await store.pause(campaign.name)).state is CampaignState.PAUSED
    await store.dnc_add([f"+7913200{n:04d}" for n in range(100)], "supervisor", "asked", NOW)
    with statements(db) as seen:
        assert await dialer.dispatch_once() == 0
    assert [s.split(" FROM ")[1].split()[0] for s in seen] == ["campaigns"], seen
    assert ami.originated == []


async def test_a_running_pass_never_reads_the_whole_list(db: Database, tmp_path: Path) -> None:
    dialer, ami = make_dialer(db, Clock(NOW))
    store = dialer.store
    await running_campaign(store, tmp_path, PHONES[:3], rules=OPEN)
    await store.dnc_add([PHONES[1], *(f"+7913200{n:04d}" for n in range(100))], "s", "r", NOW)
    with statements(db) as seen:
        await dialer.dispatch_once()
    assert not [s for s in seen if s.startswith(WHOLE_LIST) and " WHERE " not in s], seen
    numbers = {call["channel"].split("/")[1].split("@")[0] for call in ami.originated}
    assert numbers == {PHONES[0].lstrip("+"), PHONES[2].lstrip("+")}
