"""The menu as pure dialplan (bench/dialplan_menu.py): walked here by a small interpreter of
the generated text, it must play what the engine's menu flow plays for the same keys, and record
every call as the engine and the dialplan fallback do."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bench.dialplan_menu import BENCH_NUMBER, START_CONTEXT, remove_recordings, twin_dialplan
from bench.sip_menu_walk import PATH, expected_prompts
from hotline.dialplan.asterisk_config import RenderOptions, render_configs
from hotline.dialplan.names import CONTEXT_INBOUND, CONTEXT_OPERATOR, ChannelVar
from hotline.settings import Settings, load_settings
from ivr import prompts
from ivr.menu.loader import load_menu
from ivr.menu.model import Menu

MENU_FILE = Path(__file__).resolve().parents[2] / "menus" / "hotline.yaml"
RECORDINGS = Path("/var/lib/hotline/recordings")
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
    text = twin_dialplan(menu, settings, _sound, recordings=RECORDINGS)
    played, _end = _walk(text, PATH)
    # The greeting of the hour is chosen by the dialplan at call time: the interpreter above
    # plays the default that is Set first, then the notice and the main menu, not skippable.
    assert played[:3] == [prompts.GREETING, prompts.RECORDING_NOTICE, "ivr.main.short"]
    assert played[3:] == expected_prompts(menu, settings, PATH)


def test_greeting_by_time_uses_the_engines_greeting_settings_and_zone(menu: Menu) -> None:
    settings = load_settings(
        overrides={"greeting": {"morning": "06:30", "day": "11:00", "evening": "17:45"}}
    )
    text = twin_dialplan(menu, settings, _sound, recordings=RECORDINGS)
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
    played, where = _walk(twin_dialplan(menu, settings, _sound, recordings=RECORDINGS), keys)
    assert played[3:] == tail
    if end is not None:
        assert where == end


def test_the_route_is_an_exact_number_appended_to_the_inbound_context(
    menu: Menu, settings: Settings
) -> None:
    text = twin_dialplan(menu, settings, _sound, recordings=RECORDINGS)
    assert f"[{CONTEXT_INBOUND}](+)" in text
    assert f"exten => {BENCH_NUMBER},1,Goto({START_CONTEXT},s,1)" in text
    # No node context collides with the production contexts.
    assert not set(_parse(text)) & {CONTEXT_OPERATOR, "hotline-fallback"}


def test_a_path_that_leaves_the_menu_is_refused(menu: Menu, settings: Settings) -> None:
    with pytest.raises(ValueError, match="leaves the menu"):
        expected_prompts(menu, settings, "2")  # balance: an action, no next menu prompt
    with pytest.raises(ValueError, match="does not lead"):
        expected_prompts(menu, settings, "39")  # not an option: the invalid notice


def _start(text: str) -> list[tuple[str, str]]:
    return _parse(text)[START_CONTEXT]["s"]


def test_every_twin_call_is_recorded_right_after_the_notice(
    menu: Menu, settings: Settings
) -> None:
    steps = _start(twin_dialplan(menu, settings, _sound, recordings=RECORDINGS))
    notice = steps.index(("Playback", _sound(prompts.RECORDING_NOTICE)))
    var = ChannelVar.RECORDING
    name = "${STRFTIME(${EPOCH},UTC,%Y/%m/%d)}/hbench-${UNIQUEID}.wav"
    assert steps[notice + 1 : notice + 3] == [
        ("Set", f"__{var}={RECORDINGS}/{name}"),
        ("MixMonitor", f"${{{var}}}"),
    ]
    # Once per call: the menu levels the caller walks do not start another recording.
    assert twin_dialplan(menu, settings, _sound, recordings=RECORDINGS).count("MixMonitor") == 1


def test_the_twin_records_as_the_dialplan_fallback_does(menu: Menu, settings: Settings) -> None:
    """The same application, arguments and kind of path (a day folder in UTC, one WAV per
    call) as the rendered fallback that records when the engine is absent."""
    rendered = render_configs(settings, RenderOptions("a", "b", "c", sandbox=True))
    fallback = rendered["extensions.conf"]
    root = settings.paths.recordings_dir.expanduser().resolve()
    var = ChannelVar.RECORDING
    assert f"Set(__{var}={root}/${{STRFTIME(${{EPOCH}},UTC,%Y/%m/%d)}}/${{UNIQUEID}}.wav)" in (
        fallback
    )
    assert f"MixMonitor(${{{var}}})" in fallback
    twin = twin_dialplan(menu, settings, _sound, recordings=root)
    assert (
        f"Set(__{var}={root}/${{STRFTIME(${{EPOCH}},UTC,%Y/%m/%d)}}/hbench-${{UNIQUEID}}.wav)"
        in (twin)
    )
    assert f"MixMonitor(${{{var}}})" in twin


def test_the_unrecorded_twin_records_nothing_and_plays_the_same(
    menu: Menu, settings: Settings
) -> None:
    text = twin_dialplan(menu, settings, _sound, recordings=None)
    assert "MixMonitor" not in text
    played, _end = _walk(text, PATH)
    assert played[3:] == expected_prompts(menu, settings, PATH)


def test_a_recordings_folder_that_cannot_be_an_argument_is_refused(
    menu: Menu, settings: Settings
) -> None:
    with pytest.raises(ValueError, match="dialplan application argument"):
        twin_dialplan(menu, settings, _sound, recordings=Path("/rec,b"))


def test_the_bench_removes_only_the_twins_recordings_of_its_days(tmp_path: Path) -> None:
    ours = [tmp_path / "2026/12/04/hbench-1.1.wav", tmp_path / "2026/12/05/hbench-2.7.wav"]
    others = [
        tmp_path / "2026/12/05/8c1f.wav",  # the engine's (by call id) or a real call's
        tmp_path / "2026/12/03/hbench-0.1.wav",  # a day before the run
        tmp_path / "2026/12/05/hbench-3.1.txt",
    ]
    for path in ours + others:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"RIFF")
    since = datetime(2026, 12, 4, 23, 50, tzinfo=UTC)
    removed = remove_recordings(tmp_path, since, datetime(2026, 12, 5, 0, 20, tzinfo=UTC))
    assert removed == 2
    assert [p.exists() for p in ours] == [False, False]
    assert all(p.exists() for p in others)
