"""Issue 20: on the queue node, the routes the operator context runs (the rating, the queue
overflow) on an operator leg from another node write to the caller's call (the uniqueid the
leg carries), not to a second row of the leg's own."""

from __future__ import annotations

from typing import Any, cast

from hotline.dialplan.node_legs import ORIGIN_VAR
from ivr.rating import Rating
from tests.unit.test_rating_route import (
    NOW,
    ON,
    FakeAgi,
    FakeLog,
    FakePrompts,
    FakeRatings,
)


class OpenLog(FakeLog):
    def __init__(self) -> None:
        super().__init__()
        self.opened: list[str] = []

    async def open(self, **kw: Any) -> str:
        self.opened.append(kw["uniqueid"])
        return kw["uniqueid"]


async def rate(variables: dict[str, str]) -> tuple[OpenLog, FakeRatings]:
    log, ratings = OpenLog(), FakeRatings()
    route = Rating(
        ON, cast(Any, log), cast(Any, FakePrompts()), ratings, cast(Any, None), clock=lambda: NOW
    )
    await route(cast(Any, FakeAgi(keys=["5"], variables={"MEMBERNAME": "anna", **variables})))
    return log, ratings


async def test_a_leg_rates_the_callers_call() -> None:
    log, ratings = await rate({ORIGIN_VAR: "n1-1796401389.0"})
    assert log.opened == ["n1-1796401389.0"]  # not the leg's own uniqueid (1700.1)
    assert [added[0] for added in ratings.added] == ["n1-1796401389.0"]


async def test_a_call_of_this_node_or_a_bad_origin_keeps_its_own_uniqueid() -> None:
    for variables in ({}, {ORIGIN_VAR: "n1 1796401389.0;x"}):
        log, _ratings = await rate(variables)
        assert log.opened == ["1700.1"], variables
