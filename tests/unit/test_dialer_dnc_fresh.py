"""A number put on the do-not-call list during a long pass is not dialled for the rest of it.

A pass now lasts as long as its free channels take to go out at the campaign's pace (about
20 s at 400 channels and 20 cps, issue 19 item 6); the list it read at its start went stale
for that long.  Each round now reads it again once it is a tick old (``DoNotCallView``).
The pass is held at its first round's second mark (stub AMI, the dialer's clock frozen),
the last numbers are listed meanwhile, and the pass goes on: checked against the old code
(the list read once per pass), the listed numbers were dialled."""

from __future__ import annotations

from pathlib import Path

from dialer.rounds import DoNotCallView
from hotline.store.db import Database
from tests.dialer_support import NOW
from tests.unit.test_dialer_round_ahead import PHONES, held_in_first_round, resume_a_tick_later
from tests.unit.test_dialer_service import db

__all__ = ["db"]


async def test_numbers_listed_during_a_pass_are_not_dialled_in_it(
    db: Database, tmp_path: Path
) -> None:
    dialer, ami, store, task, go, _sizes = await held_in_first_round(db, tmp_path)
    listed = PHONES[-2:]
    await store.dnc_add(listed, "supervisor", "asked not to be called", NOW)
    await resume_a_tick_later(dialer, task, go)
    numbers = {call["channel"].split("/")[1].split("@")[0] for call in ami.originated}
    assert numbers == {p.lstrip("+") for p in PHONES[:-2]}


async def test_the_view_reads_the_list_again_once_it_is_max_age_old() -> None:
    reads: list[frozenset[str]] = [frozenset({"1"}), frozenset({"1", "2"})]
    now = [0.0]

    async def read() -> frozenset[str]:
        return reads.pop(0)

    view = DoNotCallView(read, await read(), 1.0, clock=lambda: now[0])
    now[0] = 0.99
    assert await view.numbers() == {"1"}
    now[0] = 1.0
    assert await view.numbers() == {"1", "2"}
    assert not reads
