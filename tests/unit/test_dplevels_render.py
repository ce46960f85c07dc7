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
    Variant,
    context_of,
    render_file,
    render_version,
    version_tag,
    walked_nodes,
    walked_value,
)
from ivr.menu.loader import load_menu
from ivr.menu.model import After, Menu, NodeKind

MENU_FILE = Path(__file__).resolve().parents[2] / "menus" / "hotline.yaml"
TAG = "abc123"
WALKED = ChannelVar.WALKED
# The contexts a menu level has besides its own: its keys while it waits, over a notice.
WHEN = (Variant.WAITING, Variant.AGAIN)
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
    levels = [node.id for node, _ in menu.walk() if node.kind is NodeKind.MENU]
    assert set(plan) == {context_of(TAG, node.id) for node, _ in menu.walk()} | {
        context_of(TAG, level, variant) for level in levels for variant in WHEN
    }
    main = plan[context_of(TAG, "main")]
    ivr = settings.ivr
    for key, child in menu.node("main").options.items():
        steps = apps(main[key])
        if menu.node(child).kind is NodeKind.ACTION:  # straight to the engine
            assert steps[-1] == f"Goto({CONTEXT_IVR_NODE},{IVR_NODE_ACTION},1)"
            assert f"{ChannelVar.NODE}={child}" in steps[0]
            assert len(steps) == 2
            continue
        # The level's event, one Set and its prompt, the keys over it in its own context.
        assert steps[0].startswith(f"UserEvent(HotlineMenu,Kind: node,Value: {child},")
        assert steps[1] == f"Set({WALKED}=0/0/${{CUT({WALKED},/,3-)}}/{child})"
        assert steps[2].startswith("Background(") and steps[2].endswith(
            f",,{context_of(TAG, child)})"
        )
        assert steps[3] == f"Goto({context_of(TAG, child)},s,after)"
        assert len(steps) == 4
    assert f"Goto({context_of(TAG, 'main')},s,after)" in apps(main[ivr.back_key])  # the start
    assert f"Goto({context_of(TAG, 'main')},s,after)" in apps(main[ivr.main_key])
    assert f"Goto({context_of(TAG, 'main')},s,after)" in apps(main[ivr.repeat_key])
    operator = apps(main[ivr.operator_key])
    assert operator[-1] == f"Goto({CONTEXT_IVR_NODE},{IVR_NODE_OPERATOR},1)"
    assert f"{ChannelVar.NODE}=main" in operator[0]
    # One level down, back is the parent.
    info = plan[context_of(TAG, "info")]
    assert f"Goto({context_of(TAG, 'main')},s,after)" in apps(info[ivr.back_key])
    # A key is reported with the level it leads to: whether the level waited, whether it
    # came over a notice that plays the level again (the node entered again first), and on
    # which node, written out by the context the key came in.
    for variant, report, walked in (
        (Variant.PROMPT, "3/0/0/main", "/info"),
        (Variant.WAITING, "3/1/0/main", "/info"),
        (Variant.AGAIN, "3/0/1/main", "/main/info"),
    ):
        steps = apps(plan[context_of(TAG, "main", variant)]["3"])
        assert steps[0].startswith(f"UserEvent(HotlineMenu,Kind: node,Value: info,Key: {report},")
        assert steps[1] == f"Set({WALKED}=0/0/${{CUT({WALKED},/,3-)}}{walked})"
    entry = apps(info["s"])[0]
    assert entry.startswith("UserEvent(HotlineMenu,Kind: node,Value: info,")
    assert f"Key: ${{{ChannelVar.KEY}}}" in entry


def test_every_key_has_an_extension_in_a_levels_contexts(menu: Menu, settings: Settings) -> None:
    """A prompt started in one level's extension takes its keys in the next level's context:
    a key with no extension there would be looked up where the prompt started."""
    plan = parse(render_version(menu, settings, _sound, TAG))
    for node, _ in menu.walk():
        if node.kind is not NodeKind.MENU:
            continue
        for variant in Variant:
            extens = plan[context_of(TAG, node.id, variant)]
            assert "_[0-9*#A-D]" in extens
            other = apps(extens["_[0-9*#A-D]"])
            waited, again = int(variant is Variant.WAITING), int(variant is Variant.AGAIN)
            assert other[0] == (
                f"UserEvent(HotlineMenu,Kind: digits,Value: ${{EXTEN}},Waiting: {waited},"
                f"Again: {again},Node: {node.id})"
            )
            assert other[-1].startswith(f"Goto({context_of(TAG, node.id)},invalid,")
            keys = set(node.options) | {settings.ivr.back_key, settings.ivr.main_key}
            assert keys | {settings.ivr.operator_key, settings.ivr.repeat_key} <= set(extens)


def test_the_walk_and_the_counters_round_trip() -> None:
    value = walked_value(2, 1, ["main", "info", "info.tariffs"])
    assert value == "2/1/main/info/info.tariffs"
    assert walked_nodes(value) == ["main", "info", "info.tariffs"]
    assert walked_nodes("0/0//main") == ["main"]
    assert walked_nodes("0/0") == []
    assert walked_nodes("main/info") == ["main", "info"]  # set before the counters moved in
    with pytest.raises(UnsafeValue):
        walked_value(0, 0, ["main/x"])


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
    assert labels[2] == "after"
    assert steps[2] == (
        f'GotoIf($["${{{ChannelVar.FIRST_TIME}}}${{{ChannelVar.HINTED}}}" = "10"]?hint)'
    )
    assert steps[3] == f"Goto({context_of(TAG, 'main', Variant.WAITING)},s,1)"
    assert steps[hint] == f"Set({ChannelVar.HINTED}=1)"
    assert steps[hint + 2] == f"Background(/sounds/{prompts.NAV_HINT})"
    assert steps[hint + 1] == (
        f"UserEvent(HotlineMenu,Kind: prompt,Value: {prompts.NAV_HINT},"
        f"File: /sounds/{prompts.NAV_HINT},Duration: 2.500)"
    )
    # The level waits in its own context; WaitExten goes on to the silent round.
    waiting = plan[context_of(TAG, "main", Variant.WAITING)]
    assert apps(waiting["s"]) == [f"WaitExten({settings.ivr.input_timeout:g})", "Goto(t,1)"]
    assert apps(waiting["t"])[-1] == f"Goto({context_of(TAG, 'main')},silent,1)"


def test_invalid_and_silent_rounds_are_counted_apart(menu: Menu, settings: Settings) -> None:
    plan = parse(render_version(menu, settings, _sound, TAG))
    main = plan[context_of(TAG, "main")]
    invalid = apps(main["invalid"])
    invalid_count, silent_count = f"${{CUT({WALKED},/,1)}}", f"${{CUT({WALKED},/,2)}}"
    nodes = f"${{CUT({WALKED},/,3-)}}"
    # One more invalid round, the silent ones reset; the notice's keys count as "again".
    assert invalid[0] == f"Set({WALKED}=$[{invalid_count} + 1]/0/{nodes})"
    assert f"GotoIf($[{invalid_count} >= 3]?last)" in invalid
    assert invalid[-1] == f"Goto({CONTEXT_IVR_NODE},{IVR_NODE_NO_INPUT},1)"
    again = context_of(TAG, "main", Variant.AGAIN)
    assert f"Background(/sounds/{prompts.INVALID},,,{again})" in invalid
    assert f"Set({WALKED}=${{{WALKED}}}/main)" in invalid  # the level entered again
    # An invalid key over that notice: the node entered again and counted in one Set.
    over_notice = apps(plan[again]["_[0-9*#A-D]"])
    assert over_notice[1] == f"Set({WALKED}=$[{invalid_count} + 1]/0/{nodes}/main)"
    assert over_notice[2] == f"Goto({context_of(TAG, 'main')},invalid,counted)"
    silent = apps(main["silent"])
    assert apps(plan[context_of(TAG, "main", Variant.WAITING)]["t"])[0].startswith(
        "UserEvent(HotlineMenu,Kind: digits,Value: ,Waiting: 1"
    )
    # One more silent round; the invalid ones kept.
    assert silent[0] == f"Set({WALKED}={invalid_count}/$[{silent_count} + 1]/{nodes})"
    assert f"GotoIf($[{silent_count} >= 2]?operator)" in silent
    assert f"Background(/sounds/{prompts.NO_TONE},,,{again})" in silent
    assert silent[-1] == f"Goto({CONTEXT_IVR_NODE},{IVR_NODE_SILENT},1)"
    # A valid option and the navigation keys reset the counters with the walk, in one
    # variable: each variable set is an AMI event Asterisk builds (issue 19 item 1).
    for key in ("3", settings.ivr.back_key, settings.ivr.main_key, settings.ivr.repeat_key):
        steps = apps(main[key])
        assert [s for s in steps if s.startswith(("Set(", "MSet("))] == [steps[1]]
        assert steps[1].startswith(f"Set({WALKED}=0/0/{nodes}/")


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
