"""The menu's levels rendered as dialplan (ivr/menu/levels.py) and the engine's state across the
hand-overs (ivr/menu/handover.py): pure, no Asterisk."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pytest

from hotline.dialplan.names import (
    CONTEXT_IVR_NODE,
    IVR_NODE_ACTION,
    IVR_NODE_NO_INPUT,
    IVR_NODE_OPERATOR,
    IVR_NODE_SILENT,
    ChannelVar,
)
from hotline.settings import Settings, load_settings
from ivr import prompts
from ivr.menu.handover import CallState, Proofs
from ivr.menu.levels import (
    UnsafeValue,
    context_of,
    render_file,
    render_version,
    version_tag,
)
from ivr.menu.loader import load_menu
from ivr.menu.model import After, Menu, NodeKind

MENU_FILE = Path(__file__).resolve().parents[2] / "menus" / "hotline.yaml"
TAG = "abc123"
_LINE = re.compile(r"^(?:exten => ([^,]+),1|\s+same => n(?:\((\w+)\))?),(\w+)\((.*)\)$")


def _sound(prompt_id: str) -> tuple[str, float]:
    return f"/sounds/{prompt_id}", 2.5


@pytest.fixture
def settings() -> Settings:
    return load_settings(overrides={"ivr": {"max_rounds": 3, "silent_rounds": 2}})


@pytest.fixture
def menu() -> Menu:
    return load_menu(MENU_FILE)


def parse(text: str) -> dict[str, dict[str, list[tuple[str | None, str, str]]]]:
    """context -> exten -> [(label, application, data)]; every line is one of these."""
    contexts: dict[str, dict[str, list[tuple[str | None, str, str]]]] = {}
    context = exten = ""
    for line in text.splitlines():
        if not line.strip() or line.startswith(";"):
            continue
        if line.startswith("["):
            assert line.endswith("]"), line
            context = line[1:-1]
            contexts[context] = {}
            continue
        match = _LINE.match(line)
        assert match, f"not a dialplan step: {line!r}"
        if match[1] is not None:
            exten = match[1]
            contexts[context][exten] = []
        contexts[context][exten].append((match[2], match[3], match[4]))
    return contexts


def apps(steps: list[tuple[str | None, str, str]]) -> list[str]:
    return [f"{app}({data})" for _label, app, data in steps]


def test_one_context_per_node_with_its_keys(menu: Menu, settings: Settings) -> None:
    plan = parse(render_version(menu, settings, _sound, TAG))
    assert set(plan) == {context_of(TAG, node.id) for node, _ in menu.walk()}
    main = plan[context_of(TAG, "main")]
    ivr = settings.ivr
    for key, child in menu.node("main").options.items():
        steps = apps(main[key])
        if menu.node(child).kind is NodeKind.ACTION:  # straight to the engine
            assert steps[-1] == f"Goto({CONTEXT_IVR_NODE},{IVR_NODE_ACTION},1)"
            assert f"{ChannelVar.NODE}={child}" in steps[0]
        else:
            assert steps[-1] == f"Goto({context_of(TAG, child)},s,1)"
            assert f"/{child}," in steps[0]  # the level it goes to, walked
        assert len(steps) == 2  # a key is one MSet and the Goto
    assert f"Goto({context_of(TAG, 'main')},s,1)" in apps(main[ivr.back_key])  # the start
    assert f"Goto({context_of(TAG, 'main')},s,1)" in apps(main[ivr.main_key])
    assert f"Goto({context_of(TAG, 'main')},s,1)" in apps(main[ivr.repeat_key])
    operator = apps(main[ivr.operator_key])
    assert operator[-1] == f"Goto({CONTEXT_IVR_NODE},{IVR_NODE_OPERATOR},1)"
    assert f"{ChannelVar.NODE}=main" in operator[0]
    # One level down, back is the parent.
    info = plan[context_of(TAG, "info")]
    assert f"Goto({context_of(TAG, 'main')},s,1)" in apps(info[ivr.back_key])
    # A key is reported with the next event: whether the level waited, whether it came over
    # a notice that plays the level again, and on which node.
    level = ChannelVar.LEVEL
    pressed = f"{ChannelVar.KEY}=3/${{CUT({level},:,3)}}/${{CUT({level},:,4)}}/main"
    assert apps(main["3"])[0].startswith(f"MSet({pressed},")
    entry = apps(info["s"])[0]
    assert entry.startswith("UserEvent(HotlineMenu,Kind: node,Value: info,")
    assert f"Key: ${{{ChannelVar.KEY}}}" in entry


def test_action_nodes_enter_the_engine(menu: Menu, settings: Settings) -> None:
    plan = parse(render_version(menu, settings, _sound, TAG))
    actions = [node for node, _ in menu.walk() if node.kind is NodeKind.ACTION]
    assert actions
    for node in actions:
        steps = apps(plan[context_of(TAG, node.id)]["s"])
        assert f"Set({ChannelVar.NODE}={node.id})" in steps
        assert steps[-1] == f"Goto({CONTEXT_IVR_NODE},{IVR_NODE_ACTION},1)"


def test_first_time_callers_hear_the_detailed_prompt_and_the_hint_once(
    menu: Menu, settings: Settings
) -> None:
    plan = parse(render_version(menu, settings, _sound, TAG))
    entry = plan[context_of(TAG, "main")]["s"]
    steps = apps(entry)
    first = f'$["${{{ChannelVar.FIRST_TIME}}}" = "1"]'
    by_caller = f"${{IF({first}?/sounds/ivr.main.detailed:/sounds/ivr.main.short)}}"
    # The node and the prompt it starts in one event, then the prompt: two steps.
    assert steps[1] == f"Background({by_caller})"
    assert f"Prompt: ${{IF({first}?ivr.main.detailed:ivr.main.short)}}" in steps[0]
    assert f"File: {by_caller}" in steps[0] and "Duration: 2.500" in steps[0]
    labels = [label for label, _app, _data in entry]
    hint = labels.index("hint")
    assert steps[2] == (
        f'GotoIf($["${{{ChannelVar.FIRST_TIME}}}${{{ChannelVar.HINTED}}}" = "10"]?hint)'
    )
    assert steps[hint] == f"Set({ChannelVar.HINTED}=1)"
    assert steps[hint + 2] == f"Background(/sounds/{prompts.NAV_HINT})"
    assert steps[hint + 1] == (
        f"UserEvent(HotlineMenu,Kind: prompt,Value: {prompts.NAV_HINT},"
        f"File: /sounds/{prompts.NAV_HINT},Duration: 2.500)"
    )
    # WaitExten goes on to the silent round (it would fall into the hint).
    wait = steps.index(f"WaitExten({settings.ivr.input_timeout:g})")
    assert steps[wait + 1] == "Goto(t,1)"


def test_invalid_and_silent_rounds_are_counted_apart(menu: Menu, settings: Settings) -> None:
    plan = parse(render_version(menu, settings, _sound, TAG))
    main = plan[context_of(TAG, "main")]
    invalid = apps(main["i"])
    assert "Value: ${INVALID_EXTEN}" in invalid[0]
    level = ChannelVar.LEVEL
    invalid_count, silent_count = f"${{CUT({level},:,1)}}", f"${{CUT({level},:,2)}}"
    # One more invalid round, the silent ones reset, the notice that plays the level again.
    assert f"MSet({level}=$[{invalid_count} + 1]:0:0:1," in invalid[1]
    assert f"GotoIf($[{invalid_count} >= 3]?last)" in invalid
    assert invalid[-1] == f"Goto({CONTEXT_IVR_NODE},{IVR_NODE_NO_INPUT},1)"
    assert f"Background(/sounds/{prompts.INVALID})" in invalid
    silent = apps(main["t"])
    assert silent[0].startswith("UserEvent(HotlineMenu,Kind: digits,Value: ,Waiting: 1")
    # One more silent round; the invalid ones and the notice flag kept.
    assert silent[1].startswith(
        f"MSet({level}={invalid_count}:$[{silent_count} + 1]:0:${{CUT({level},:,4)}},"
    )
    assert f"GotoIf($[{silent_count} >= 2]?operator)" in silent
    assert f"Background(/sounds/{prompts.NO_TONE})" in silent
    assert silent[-1] == f"Goto({CONTEXT_IVR_NODE},{IVR_NODE_SILENT},1)"
    # A valid option and the navigation keys reset the counters, in one variable: each
    # variable set is an AMI event Asterisk builds (issue 19 item 1).
    for key in ("3", settings.ivr.back_key, settings.ivr.main_key, settings.ivr.repeat_key):
        mset = apps(main[key])[0]
        assert f"{level}=0:0:0:0" in mset
        assigned = re.findall(r"(?:^MSet\(|,)(HOTLINE_[A-Z_]+)=", mset)
        assert assigned == [ChannelVar.KEY, ChannelVar.WALKED, level]


def test_information_nodes_only_stop_for_navigation_keys(menu: Menu, settings: Settings) -> None:
    plan = parse(render_version(menu, settings, _sound, TAG))
    tariffs = plan[context_of(TAG, "info.tariffs")]
    steps = apps(tariffs["s"])
    assert any(s.startswith("Background(") and s.endswith(",m)") for s in steps)
    ivr = settings.ivr
    assert set(tariffs) == {"s", ivr.back_key, ivr.main_key, ivr.operator_key, ivr.repeat_key}


def test_an_info_node_that_hangs_up_says_goodbye_and_completes(
    menu: Menu, settings: Settings
) -> None:
    node = next(n for n, _ in menu.walk() if n.kind is NodeKind.INFO)
    nodes = dict(menu.nodes)
    nodes[node.id] = replace(node, then=After.HANGUP)
    hanging = Menu(menu.name, menu.start, nodes, menu.source, menu.texts)
    steps = apps(
        parse(render_version(hanging, settings, _sound, TAG))[context_of(TAG, node.id)]["s"]
    )
    assert f"Playback(/sounds/{prompts.GOODBYE})" in steps
    assert "UserEvent(HotlineMenu,Kind: completed,Value: goodbye)" in steps
    assert steps[-1] == "Hangup()"


@pytest.mark.parametrize(
    "path",
    [
        "/sounds/a\nexten => 9,1,System(rm -rf /)",
        "/sounds/a\r",
        "/sounds/a\0",
        "/sounds/a,b",
        "/sounds/a)",
        "/sounds/${SHELL(id)}",
        "/sounds/a b",
    ],
)
def test_no_value_can_break_a_line_or_start_an_application(
    menu: Menu, settings: Settings, path: str
) -> None:
    def sound(prompt_id: str) -> tuple[str, float]:
        return (path, 1.0) if prompt_id == "ivr.main.short" else _sound(prompt_id)

    with pytest.raises(UnsafeValue):
        render_version(menu, settings, sound, TAG)


def test_a_menu_name_with_line_breaks_stays_in_its_comment(menu: Menu, settings: Settings) -> None:
    evil = Menu("x\r\n[hotline-inbound]\nexten => _X.,1,System(id)", menu.start, menu.nodes)
    text = render_version(evil, settings, _sound, TAG)
    assert "[hotline-inbound]" not in text.splitlines()[1:]
    parse(text)  # every line a comment, a context or a step
    assert len(text.splitlines()[0].splitlines()) == 1


def test_navigation_keys_must_be_keys(menu: Menu) -> None:
    settings = load_settings(overrides={"ivr": {"repeat_key": "9,System(id)"}})
    with pytest.raises(UnsafeValue):
        render_version(menu, settings, _sound, TAG)


def test_the_tag_follows_what_the_contexts_say(menu: Menu, settings: Settings) -> None:
    tag = version_tag(menu, settings, _sound)
    assert tag == version_tag(menu, settings, _sound)
    assert re.fullmatch(r"[0-9a-f]{10}", tag)
    fewer = load_settings(overrides={"ivr": {"max_rounds": 2}})
    assert version_tag(menu, fewer, _sound) != tag
    other_file = version_tag(menu, settings, lambda p: (f"/other/{p}", 2.5))
    assert other_file != tag
    both = render_file([render_version(menu, settings, _sound, t) for t in ("aaa", "bbb")])
    contexts = parse(both)
    assert context_of("aaa", "main") in contexts and context_of("bbb", "main") in contexts


def test_the_call_state_round_trips_and_refuses_anything_else() -> None:
    state = CallState("abc123", True, 180, "caller_id", True, "f" * 32, True, False)
    encoded = state.encode()
    assert re.fullmatch(r"[A-Za-z0-9_:-]+", encoded)  # one plain MSet value, no account
    assert CallState.decode(encoded) == state
    assert CallState.decode(CallState("t").encode()) == CallState("t")
    for bad in ("", "a:b", "abc123:1:180:caller_id:1:ff:1", f"{encoded}:x", "a;b:1:-:-:0:-:0:0"):
        with pytest.raises(ValueError):
            CallState.decode(bad)
    with pytest.raises(UnsafeValue):
        CallState("abc", identified_by="by,System(id)").encode()


def test_money_verified_cannot_be_forged() -> None:
    proofs = Proofs()
    proof = proofs.proof("1700000000.1", "1234567", "caller_id", True)
    assert proofs.check(proof, "1700000000.1", "1234567", "caller_id", True)
    # Another call, account, way of identifying or the flag turned on: refused.
    assert not proofs.check(proof, "1700000000.2", "1234567", "caller_id", True)
    assert not proofs.check(proof, "1700000000.1", "7654321", "caller_id", True)
    assert not proofs.check(proof, "1700000000.1", "1234567", "typed", True)
    unverified = proofs.proof("1700000000.1", "1234567", "caller_id", False)
    assert not proofs.check(unverified, "1700000000.1", "1234567", "caller_id", True)
    # Another engine process (a restart) does not know the secret: asked again.
    assert not Proofs().check(proof, "1700000000.1", "1234567", "caller_id", True)
