"""Issue 19 item 6: a round is prepared ahead only when the current round got a pacing slot
for each of its attempts, and a pass ends when it did not.  The room a round is prepared for
(``_room``) counted a slot exactly one tick away that booking (``_book``) then refused: at
20 cps with a one-second tick, 21 attempts were written for 20 slots, so every pass ended
after its first round (one attempt withdrawn), no round was ever prepared ahead, and each
next pass began with its reads and its first round's write while nothing was sent (an
instrumented combined run: a pass a second, a 0.1-0.2 s gap after each at load 28).  Now
booking takes every slot the room counted (its float sums of intervals get a microsecond's
tolerance at the tick).

Checked against the old code: 21 room, 20 booked at 20 cps."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

import dialer.dispatcher as dispatcher_module
from tests.dialer_support import NOW, Clock
from tests.unit.test_dialer_service import db, make_dialer

__all__ = ["db"]


@pytest.mark.parametrize(
    ("cps", "tick", "start"),
    [(20.0, 1.0, 1000.0), (20.0, 1.0, 98765.4321), (10.0, 0.2, 4321.5), (3.0, 1.0, 777.25)],
)
async def test_the_room_a_round_is_prepared_for_is_booked_in_full(
    db: Any, monkeypatch: pytest.MonkeyPatch, cps: float, tick: float, start: float
) -> None:
    now = [start]
    monkeypatch.setattr(dispatcher_module, "time", SimpleNamespace(monotonic=lambda: now[0]))
    dialer, _ami = make_dialer(db, Clock(NOW), calls_per_second=cps, tick_seconds=tick)
    dispatcher = dialer._dispatcher
    # A pass's first round, pacing idle.
    room = await dispatcher._room(cps)
    slots = await dispatcher._book(room, cps)
    assert room >= 1 and len(slots) == room
    # Rounds prepared ahead: within a tick of the current round's last slot, booked once
    # that round has been sent (at its last slot, or later).
    for late in (0.0, 0.001, 0.3 / cps):
        room = await dispatcher._room(cps, after=slots[-1] - now[0])
        now[0] = slots[-1] + late
        slots = await dispatcher._book(room, cps)
        assert room >= 1 and len(slots) == room
