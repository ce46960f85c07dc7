"""The repeat key and the navigation hint (R-022, R-152), silent rounds counted apart from
invalid keys (R-021), and the callback a silent caller gets outside operator hours: MenuFlow
driven by a scripted call, and the menu rules that go with them."""

from __future__ import annotations

from collections.abc import Mapping
from types import SimpleNamespace
from typing import Any, cast

import pytest

from hotline.contact_center.hours import OperatorHours
from hotline.settings import HoursSettings, IvrSettings, Settings, load_settings
from hotline.speech.catalogue import Catalogue
from hotline.speech.library import PromptLibrary
from hotline.speech.russian import Phrase
from hotline.store.callbacks import CallbackStore
from hotline.store.calllog import CallLog
from hotline.store.recordings import Recordings
from ivr import prompts
from ivr.menu.flow import MenuFlow
from ivr.menu.model import Menu
from ivr.menu.standard import validate_menu
from ivr.menu.structure import Rule, Violation
from ivr.menu.walk import Leave, Walk
from tests.unit.test_menu_model import CATALOGUE, base, parse

CALLER = "79131234567"


class ScriptedCall:
    """Plays nothing: each prompt returns the key scripted for it (None: heard to the end),
    each wait the next scripted key.  Records the prompts, nodes and what the flow did."""

    def __init__(self, keys: Mapping[str, list[str | None]], caller: str | None = CALLER):
        self.keys = {k: list(v) for k, v in keys.items()}
        self.agi = SimpleNamespace(env=SimpleNamespace(callerid=caller))
        self.played: list[str] = []
        self.path: list[str] = []
        self.operator: str | None = None
        self.callbacks: list[str] = []
        self.finished = False

    def _next(self, what: str) -> str | None:
        queue = self.keys.get(what)
        return queue.pop(0) if queue else None

    async def enter(self, node: str) -> None:
        self.path.append(node)

    async def play(self, prompt_id: str, escape_digits: str = "") -> str | None:
        self.played.append(prompt_id)
        return self._next(prompt_id)

    async def say(self, phrase: Phrase, escape_digits: str = "") -> str | None:
        self.played.append(phrase.text)
        return self._next(phrase.text)

    async def wait_digit(self, seconds: float) -> str | None:
        self.played.append("(wait)")
        return self._next("(wait)")

    async def to_operator(self, reason: str, department: str | None = None) -> None:
        self.path.append("operator")
        self.operator = reason

    async def request_callback(
        self, number: str, source: str | None = None, slot: object = None
    ) -> int:
        self.callbacks.append(number)
        return 1

    async def finish(self) -> None:
        self.finished = True


DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
DAY_OFF = "сегодня у операторов выходной"


def make_flow(menu: Menu, settings: Settings, open_: bool = True) -> MenuFlow:
    week = {day: "00:00-24:00" if open_ else "" for day in (*DAYS, "holiday_hours")}

    async def hours() -> OperatorHours:
        return OperatorHours(HoursSettings(**week))

    async def never() -> Any:
        raise AssertionError("not reached")

    return MenuFlow(
        menu,
        settings,
        cast(CallLog, None),
        cast(PromptLibrary, None),
        hours,
        never,
        recordings=cast(Recordings, None),
        callbacks=cast(CallbackStore, None),
    )


async def walk_until_gone(
    call: ScriptedCall, *, first_time: bool = True, open_: bool = True, **ivr: Any
) -> ScriptedCall:
    settings = load_settings(overrides={"ivr": ivr} if ivr else None, environ={})
    menu = parse(base())
    subject = make_flow(menu, settings, open_)
    walk = Walk(cast(Any, call), first_time, [menu.start], menu)
    with pytest.raises(Leave):
        for _ in range(20):
            await subject._step(walk)
    return call


async def test_a_new_caller_hears_the_hint_once_after_the_first_level() -> None:
    call = await walk_until_gone(ScriptedCall({"(wait)": ["0"]}))
    assert call.played == ["main.detailed", prompts.NAV_HINT, "(wait)", prompts.CONNECTING]


async def test_a_returning_caller_hears_no_hint() -> None:
    call = await walk_until_gone(ScriptedCall({"(wait)": ["0"]}), first_time=False)
    assert prompts.NAV_HINT not in call.played


async def test_the_repeat_key_plays_the_level_again_without_the_invalid_notice() -> None:
    call = await walk_until_gone(ScriptedCall({"main.detailed": ["9", None], "(wait)": ["0"]}))
    assert call.path == ["main", "main", "operator"]
    assert call.played.count("main.detailed") == 2
    assert prompts.INVALID not in call.played
    # The hint is still heard once: the first time the level played to its end.
    assert call.played.count(prompts.NAV_HINT) == 1


async def test_the_repeat_key_is_a_setting() -> None:
    call = await walk_until_gone(
        ScriptedCall({"main.detailed": ["8", None], "(wait)": ["0"]}), repeat_key="8"
    )
    assert call.path == ["main", "main", "operator"]
    assert prompts.INVALID not in call.played


async def test_the_repeat_key_replays_an_information_message() -> None:
    # main -> 2 info -> 1 tariffs; 9 over the message plays it again; then 0.
    call = await walk_until_gone(
        ScriptedCall({"main.detailed": ["2"], "info.detailed": ["1"], "info.tariffs": ["9", "0"]})
    )
    assert call.path == ["main", "info", "info.tariffs", "info.tariffs", "operator"]


async def test_silence_after_the_first_round_says_stay_on_the_line_then_the_operator() -> None:
    call = await walk_until_gone(ScriptedCall({}))
    assert call.played == [
        "main.detailed",
        prompts.NAV_HINT,
        "(wait)",
        prompts.NO_TONE,
        "main.detailed",
        "(wait)",
        prompts.CONNECTING,
    ]
    assert call.path == ["main", "main", "operator"]
    assert call.operator == "no_input"


async def test_silent_rounds_are_a_setting_apart_from_invalid_keys() -> None:
    # Two invalid keys do not reach the operator (max_rounds 3) ...
    call = await walk_until_gone(
        ScriptedCall({"main.detailed": ["7", "7", None, None], "(wait)": [None, "0"]}),
        silent_rounds=3,
    )
    assert call.played.count(prompts.INVALID) == 2
    assert call.operator == "menu"
    # ... and with silent_rounds 1 the first silent round does.
    quick = await walk_until_gone(ScriptedCall({}), silent_rounds=1)
    assert quick.played == ["main.detailed", prompts.NAV_HINT, "(wait)", prompts.CONNECTING]


async def test_a_silent_caller_outside_hours_gets_a_callback_instead_of_a_goodbye() -> None:
    call = await walk_until_gone(ScriptedCall({}), open_=False)
    assert call.path[-4:] == ["main", "closed", "callback", "goodbye"]
    assert call.played[-6:] == [
        prompts.OPERATOR_CLOSED,
        DAY_OFF,
        prompts.CALLBACK_OFFER_SILENT,
        "(wait)",
        prompts.CALLBACK_ACCEPTED,
        prompts.GOODBYE,
    ]
    assert call.callbacks == [CALLER]


async def test_without_a_caller_id_or_after_a_key_no_callback_is_taken_by_silence() -> None:
    anonymous = await walk_until_gone(ScriptedCall({}, caller=None), open_=False)
    assert prompts.CALLBACK_OFFER in anonymous.played and anonymous.callbacks == []
    pressed = await walk_until_gone(ScriptedCall({"(wait)": ["0"]}), open_=False)
    assert prompts.CALLBACK_OFFER in pressed.played and pressed.callbacks == []


# --- the menu rules ----------------------------------------------------------------------------
def check(
    durations: Mapping[str, float], ivr: IvrSettings | None = None, bye_key: str = "3"
) -> list[Violation]:
    data = base()
    data["nodes"]["main"]["options"] = {"1": "readings", "2": "info", bye_key: "bye"}
    return validate_menu(
        parse(data),
        ivr or IvrSettings(),
        catalogue=Catalogue.parse(CATALOGUE, "Энергосбыт"),
        durations=lambda prompt_id: durations[prompt_id],
        voice="rhvoice-test",
        nav_hint=prompts.NAV_HINT,
    )


FITS = {
    "main.short": 4.0,
    "main.detailed": 9.0,
    "info.menu": 3.0,
    "info.detailed": 6.0,
    "info.tariffs": 5.0,
    "bye": 1.5,
    prompts.NAV_HINT: 5.0,
}


def test_an_option_on_the_repeat_key_is_refused() -> None:
    found = check(FITS, bye_key="9")
    assert [(v.node, v.rule, v.message) for v in found] == [
        (
            "main",
            Rule.RESERVED_KEY,
            "option on key '9' is reserved for repeating the level (ivr.repeat_key)",
        )
    ]
    assert check(FITS, IvrSettings(repeat_key="8"), bye_key="9") == []


def test_the_hint_counts_with_the_first_levels_detailed_prompt() -> None:
    assert check(FITS) == []
    found = check({**FITS, "main.detailed": 10.5})
    assert [(v.node, v.rule, v.measured) for v in found] == [
        ("main", Rule.MAX_LEVEL_SPEECH_SECONDS, 15.5)
    ]
    assert "the detailed prompt main.detailed and the navigation hint ivr.nav.hint" in str(
        found[0]
    )
    # Only the start menu's detailed prompt: a long submenu prompt does not add the hint.
    assert check({**FITS, "info.detailed": 12.0}) == []
