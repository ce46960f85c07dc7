"""The rating route after an operator call (issue 16 item 5; R-105, R-108): asked only when
on, with an operator and a caller ID, and not within the cap; a 1-5 key is stored with the
operator, then thanks and goodbye; the dialplan runs the route when the operator hangs up."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any, cast

from hotline.dialplan.asterisk_config import RenderOptions, render_configs
from hotline.dialplan.names import ROUTE_RATING, ChannelVar
from hotline.protocol.agi import AgiHangup, PlaybackResult
from hotline.settings import Settings
from hotline.speech.library import Sound
from hotline.store.enums import EventKind
from ivr import prompts
from ivr.rating import Rating

NOW = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
CALLER = "+79001234567"
ON = Settings.model_validate({"rating": {"enabled": True}})


@dataclass
class FakeAgi:
    # Keys pressed during each prompt, in order (None: listened to the end).
    keys: list[str | None] = field(default_factory=list)
    silence_key: str | None = None
    variables: dict[str, str] = field(default_factory=lambda: {"MEMBERNAME": "anna"})
    callerid: str | None = CALLER
    hang_up_on: str | None = None
    played: list[str] = field(default_factory=list)

    @property
    def env(self) -> Any:
        return SimpleNamespace(
            uniqueid="1700.1", channel="PJSIP/x", callerid=self.callerid, arguments=()
        )

    async def get_variable(self, name: str) -> str | None:
        return self.variables.get(name)

    async def set_variable(self, name: str, value: str) -> None:
        self.variables[name] = value

    async def stream_file(self, name: str, keys: str = "") -> PlaybackResult:
        self.played.append(name.rsplit("/", 1)[-1])
        if self.hang_up_on and name.endswith(self.hang_up_on):
            raise AgiHangup("caller hung up")
        digit = self.keys.pop(0) if self.keys else None
        return PlaybackResult(digit, 8000)

    async def wait_for_digit(self, timeout: float) -> str | None:
        return self.silence_key


class FakeLog:
    def __init__(self) -> None:
        self.events: list[tuple[str, str, Any]] = []

    async def open(self, **kw: Any) -> str:
        return "1700.1"

    async def note(self, uniqueid: str, kind: str, value: str, detail: Any = None) -> None:
        return None

    async def add_event(self, uniqueid: str, kind: str, value: str, detail: Any = None) -> None:
        self.events.append((kind, value, detail))

    record = add_event  # the IVR's immediate events (CallLog.record)

    async def flush(self, uniqueid: str | None = None) -> None:
        return None


class FakePrompts:
    def sound(self, prompt_id: str) -> Sound:
        return Sound(f"/sounds/{prompt_id}", 1.0)


class FakeRatings:
    def __init__(self, rated: dict[str, datetime] | None = None) -> None:
        self.rated = dict(rated or {})
        self.added: list[tuple[str, str, str, int]] = []

    async def add(
        self, call_id: str, caller: str, operator: str, score: int, rated_at: datetime
    ) -> None:
        self.added.append((call_id, caller, operator, score))
        self.rated[caller] = rated_at

    async def rated_since(self, caller: str, since: datetime) -> bool:
        return caller in self.rated and self.rated[caller] >= since


async def run(
    agi: FakeAgi, ratings: FakeRatings, settings: Settings = ON
) -> tuple[FakeAgi, FakeLog]:
    log = FakeLog()
    route = Rating(
        settings,
        cast(Any, log),
        cast(Any, FakePrompts()),
        ratings,
        cast(Any, None),
        clock=lambda: NOW,
    )
    await route(cast(Any, agi))
    return agi, log


async def test_a_key_is_stored_with_the_operator_then_thanks_and_goodbye() -> None:
    ratings = FakeRatings()
    agi, log = await run(FakeAgi(keys=["4"]), ratings)
    assert ratings.added == [("1700.1", CALLER, "anna", 4)]
    assert agi.played == [prompts.RATING_ASK, prompts.RATING_THANKS, prompts.GOODBYE]
    assert (EventKind.RATING, "4", {"operator": "anna"}) in log.events


async def test_the_key_may_come_after_the_prompt() -> None:
    ratings = FakeRatings()
    await run(FakeAgi(silence_key="5"), ratings)
    assert ratings.added == [("1700.1", CALLER, "anna", 5)]


async def test_silence_or_another_key_stores_nothing() -> None:
    for agi in (FakeAgi(), FakeAgi(keys=["9"]), FakeAgi(silence_key="0")):
        ratings = FakeRatings()
        await run(agi, ratings)
        assert ratings.added == []
        assert agi.played == [prompts.RATING_ASK, prompts.GOODBYE]


async def test_not_asked_within_the_cap_but_asked_after_it() -> None:
    # Rated 2 months ago: within 3 months, not asked.
    agi, _ = await run(
        FakeAgi(keys=["1"]), FakeRatings({CALLER: datetime(2026, 4, 1, tzinfo=UTC)})
    )
    assert agi.played == []
    # Rated 4 months ago: asked again.
    ratings = FakeRatings({CALLER: datetime(2026, 2, 1, tzinfo=UTC)})
    agi, _ = await run(FakeAgi(keys=["1"]), ratings)
    assert ratings.added == [("1700.1", CALLER, "anna", 1)]


async def test_not_asked_when_off_without_operator_or_caller_id() -> None:
    cases = [
        (FakeAgi(keys=["3"]), Settings()),  # off by default
        (FakeAgi(keys=["3"], variables={}), ON),  # no operator answered
        (FakeAgi(keys=["3"], callerid=None), ON),  # no caller ID: the cap cannot apply
    ]
    for agi, settings in cases:
        ratings = FakeRatings()
        await run(agi, ratings, settings)
        assert agi.played == []
        assert ratings.added == []


async def test_caller_hanging_up_during_the_question() -> None:
    ratings = FakeRatings()
    _, log = await run(FakeAgi(hang_up_on=prompts.RATING_ASK), ratings)
    assert ratings.added == []
    assert log.events[-1][:2] == (EventKind.STATUS, "caller hung up in rating")


def test_the_operator_context_continues_to_the_rating_route() -> None:
    conf = render_configs(Settings(), RenderOptions("a", "b", "c", sandbox=False))[
        "extensions.conf"
    ]
    operator = conf.split("[hotline-operator]", 1)[1].split("\n[", 1)[0]
    # Option c continues to the rating; b: the operator leg's voice quality (desk2, R-135).
    assert "Queue(${QNAME},rctb(hotline-quality^push^1(operator))," in operator
    assert f"/{ROUTE_RATING})" in operator
    assert f'"${{{ChannelVar.MEMBER_NAME}}}" != ""]?rating' in operator
