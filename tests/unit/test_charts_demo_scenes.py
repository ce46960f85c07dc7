"""`make demo` out of operator hours: operator calls end with the hours and a callback offer,
but the outage report reaches the emergency dispatcher around the clock (R-097).  The demo
expected the out-of-hours ending for it too and failed every evening."""

from __future__ import annotations

from hotline.cli.demo import SCENES
from hotline.store.enums import CallOutcome


def test_out_of_hours_expectations() -> None:
    by_title = {scene.title: scene for scene in SCENES}
    outage = by_title["Reporting a power outage: 4, then 1"]
    assert outage.expected(operators_open=False) == CallOutcome.OPERATOR
    assert outage.expected(operators_open=True) == CallOutcome.OPERATOR
    menu = by_title["A wrong key, then the main menu and 0"]
    assert menu.expected(operators_open=False) == CallOutcome.COMPLETED
    assert menu.expected(operators_open=True) == CallOutcome.OPERATOR
    fallback = next(scene for scene in SCENES if not scene.engine_running)
    assert fallback.expected(operators_open=False) == "fallback"
