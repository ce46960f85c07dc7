"""Issue 19 item 6 (the campaign at 18 of its 20 calls a second under combined load): a pass
counts the free channels once, at its start, and dialled until it had used them; then the
next pass came a whole tick (1 s) later, although calls had ended meanwhile.  At 20 cps with
400 trunk channels that was a one-second pause every 15-20 s (a pass's 300-400 calls).  Now
a pass that sent every call its free channels allowed is followed by the next at pacing's
next slot; when that pass finds no channel free, the tick's pause holds (no spinning).

Checked against the old code: the first pause after the pass was the whole tick."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from dialer.repository import DialerStore
from tests.dialer_support import NOW, Clock, running_campaign
from tests.unit.test_dialer_service import OPEN, db, make_dialer

__all__ = ["db"]

TICK = 0.2
CPS = 1000.0  # pacing never cuts these passes short: the channels do
CHANNELS = 3
WIDE = OPEN.model_copy(update={"max_channels": 10_000})


async def test_a_pass_that_used_its_free_channels_is_followed_at_the_next_slot(
    db: Any, tmp_path: Path
) -> None:
    store = DialerStore(db)
    await running_campaign(store, tmp_path, [f"+7913810{i:04d}" for i in range(10)], rules=WIDE)
    dialer, ami = make_dialer(
        db, Clock(NOW), calls_per_second=CPS, tick_seconds=TICK, trunk_channels=CHANNELS
    )
    assert await dialer.dispatch_once() == CHANNELS
    assert len(ami.originated) == CHANNELS
    # At most one pacing interval, whatever the machine's load.
    assert dialer.pause(0) <= 1 / CPS < TICK
    # The calls are still up: the next pass finds no channel free and the tick holds.
    assert await dialer.dispatch_once() == 0
    assert dialer.pause(0) == TICK
