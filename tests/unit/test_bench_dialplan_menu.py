"""The menu as pure dialplan (bench/dialplan_menu.py): walked here by a small interpreter of
the generated text, it must play what the engine's menu flow plays for the same keys."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bench.dialplan_menu import BENCH_NUMBER, START_CONTEXT, twin_dialplan
from bench.sip_menu_walk import PATH, expected_prompts
from hotline.dialplan.names import CONTEXT_INBOUND, CONTEXT_OPERATOR
from hotline.settings import Settings, load_settings
from ivr import prompts
from ivr.menu.loader import load_menu
from ivr.menu.model import Menu

MENU_FILE = Path(__file__).resolve().parents[2] / "menus" / "hotline.yaml"
_LINE = re.compile(r"^\s*(?:exten => ([^,]+),(\d+)|same => n),(\w+)\((.*)\)$")
_GOTO = re.compile(r"^(?:([\w-]+),)?([^,]+),1$")


def _sound(prompt_id: str) -> str:
    return f"/sounds/{prompt_id}"


def _parse(text: str) -> dict[str, dict[str, list[tuple[str, str]]]]:
    contexts: dict[str, dict[str, list[tuple[str, str]]]] = {}
    context = exten = ""
    for line in text.splitlines():
        if not line.strip() or line.startswith(";"):
            continue
        if line.startswith("["):
            context = line[1 : line.index("]")]
            contexts.setdefault(context, {})
            continue
        match = _LINE.match(line)
        assert match, line
        if match[1] is not None:
            exten = match[1]
        contexts[context].setdefault(exten, []).append((match[3], match[4]))
    return contexts


def _walk(text: str, keys: str) -> tuple[list[str], str]:
    """Files played (prompt ids) and where the call ends: keys are pressed one per
    Background; with none left, prompts play to their end and the walk stops at the next
    WaitExten (or the operator queue).  Round counts stay below the limit (GotoIf not taken)."""
    plan = _parse(text)
    played: list[str] = []
    pending = list(keys)
    variables: dict[str, str] = {}
    context, exten, index = CONTEXT_INBOUND, BENCH_NUMBER, 0
    for _ in range(500):
        app, data = plan[context][exten][index]
        index += 1
        if app == "Set":
            name, _, value = data.partition("=")
            variables[name] = value
        elif app in ("Playback", "Background"):
            for name, value in variables.items():
                data = data.replace("${" + name + "}", value)
            played.append(data.removeprefix("/sounds/"))
            if app == "Background" and pending:
                key = pending.pop(0)
                exten = key if key in plan[context] else "i"
                index = 0
        elif app == "WaitExten":
            return played, context
        elif app == "Goto":
            match = _GOTO.match(data)
            assert match, data
            context = match[1] or context
            if context == CONTEXT_OPERATOR:
                return played, context
            exten, index = match[2], 0
    raise AssertionError("the walk does not end")


@pytest.fixture
def menu() -> Menu:
    return load_menu(MENU_FILE)


@pytest.fixture
def settings() -> Settings:
    return load_settings()


def test_the_twin_plays_what_the_engine_plays_for_the_bench_path(
    menu: Menu, settings: Settings
) -> None:
    text = twin_dialplan(menu, settings, _sound)
    played, _end = _walk(text, PATH)
    # The greeting of the hour is chosen by the dialplan at call time: the interpreter above
    # plays the default that is Set first, then the notice and the main menu, not skippable.
    assert played[:3] == [prompts.GREETING, prompts.RECORDING_NOTICE, "ivr.main.short"]
    assert played[3:] == expected_prompts(menu, settings, PATH)


def test_greeting_by_time_uses_the_engines_greeting_settings_and_zone(menu: Menu) -> None:
    settings = load_settings(
        overrides={"greeting": {"morning": "06:30", "day": "11:00", "evening": "17:45"}}
    )
    text = twin_dialplan(menu, settings, _sound)
    assert f"STRFTIME(${{EPOCH}},{settings.hours.timezone},%H%M)" in text
    for low, high, prompt in (
        (10630, 11100, "morning"),
        (11100, 11745, "day"),
        (11745, 12300, "evening"),
    ):
        condition = f"$[${{HBENCH_NOW}} >= {low} & ${{HBENCH_NOW}} < {high}]"
        assert f"{condition}?Set(HBENCH_GREETING=/sounds/ivr.greeting.{prompt})" in text


@pytest.mark.parametrize(
    ("keys", "tail", "end"),
    [
        ("*3", ["ivr.main.short", "info.menu"], None),  # * on the main menu stays there
        ("30", ["info.menu", prompts.CONNECTING], CONTEXT_OPERATOR),
        ("2", [prompts.SERVICE_UNAVAILABLE], CONTEXT_OPERATOR),
        ("41", ["outage.menu", "outage.report_to_operator"], CONTEXT_OPERATOR),
        ("39", ["info.menu", prompts.INVALID, "info.menu"], None),
        ("3#", ["info.menu", "ivr.main.short"], None),
    ],
)
def test_keys_go_where_the_engine_goes(
    menu: Menu, settings: Settings, keys: str, tail: list[str], end: str | None
) -> None:
    played, where = _walk(twin_dialplan(menu, settings, _sound), keys)
    assert played[3:] == tail
    if end is not None:
        assert where == end


def test_the_route_is_an_exact_number_appended_to_the_inbound_context(
    menu: Menu, settings: Settings
) -> None:
    text = twin_dialplan(menu, settings, _sound)
    assert f"[{CONTEXT_INBOUND}](+)" in text
    assert f"exten => {BENCH_NUMBER},1,Goto({START_CONTEXT},s,1)" in text
    # No node context collides with the production contexts.
    assert not set(_parse(text)) & {CONTEXT_OPERATOR, "hotline-fallback"}


def test_a_path_that_leaves_the_menu_is_refused(menu: Menu, settings: Settings) -> None:
    with pytest.raises(ValueError, match="leaves the menu"):
        expected_prompts(menu, settings, "2")  # balance: an action, no next menu prompt
    with pytest.raises(ValueError, match="does not lead"):
        expected_prompts(menu, settings, "39")  # not an option: the invalid notice
