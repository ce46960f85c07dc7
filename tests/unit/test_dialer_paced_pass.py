"""Issue 19 item 6 (the campaign reached 14.5 of its 20 calls a second under combined load):
a pass that pacing cuts short (no slot left within its tick) was followed by a whole tick's
pause before the next pass, although the pass had slept to its last slot and the next one
was at most one interval away.  Under load about a hundred such pauses a minute, a quarter
of a second each with the next pass's reads, cost a quarter of the rate.  Now the next pass
waits for pacing's next slot; a pass that was not cut short, a failing one and an idle
dialer keep their pauses.

Checked against the old code: the dialer's loop paused a tick after every pass (the old
code has no ``pause``: the loop computed a tick, the back-off or the idle poll inline)."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

import dialer.dispatcher as dispatcher_module
from dialer.engine import backoff
from dialer.repository import DialerStore
from tests.dialer_support import NOW, Clock, running_campaign
from tests.unit.test_dialer_service import OPEN, db, make_dialer

__all__ = ["db"]

TICK = 0.2
CPS = 10.0  # three slots a tick: 60 contacts take several passes
WIDE = OPEN.model_copy(update={"max_channels": 10_000})


async def test_after_a_pass_pacing_cut_short_the_next_waits_for_the_next_slot_only(
    db: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Pacing's clock held still while the pass runs: the pass books its tick's slots (two or
    # three, float rounding) and finds none left, whatever the machine's load (on the real
    # clock a slow pass found room again and dialled all 60).
    now = [1000.0]
    monkeypatch.setattr(dispatcher_module, "time", SimpleNamespace(monotonic=lambda: now[0]))
    store = DialerStore(db)
    await running_campaign(store, tmp_path, [f"+7913800{i:04d}" for i in range(60)], rules=WIDE)
    dialer, ami = make_dialer(
        db, Clock(NOW), calls_per_second=CPS, tick_seconds=TICK, trunk_channels=1000
    )
    dialled = await dialer.dispatch_once()
    assert 1 <= dialled < 60 and len(ami.originated) == dialled
    # The pass ended half an interval after its last slot: the next slot is half an interval
    # away, and the next pass waits that, not a tick.
    now[0] += (dialled - 0.5) / CPS
    assert dialer.pause(0) == pytest.approx(0.5 / CPS)
    assert dialer.pause(0) < TICK
    # While passes fail, the back-off holds as before.
    assert dialer.pause(3) == backoff(TICK, 3)


async def test_a_pass_pacing_did_not_cut_short_waits_a_tick(db: Any, tmp_path: Path) -> None:
    store = DialerStore(db)
    await running_campaign(store, tmp_path, ["+79138100001", "+79138100002"], rules=WIDE)
    dialer, _ami = make_dialer(
        db, Clock(NOW), calls_per_second=CPS, tick_seconds=TICK, trunk_channels=1000
    )
    assert await dialer.dispatch_once() == 2  # both within the tick's three slots
    assert dialer.pause(0) == TICK
