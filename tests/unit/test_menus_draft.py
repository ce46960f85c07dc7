"""The menu editor's draft edits (issue 23), a menu's own prompts (typed texts synthesised and
measured against the 15 s rule like catalogue prompts), and a simulated call trying the
draft (only simulated calls; the live menu otherwise)."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import pytest

from hotline.settings import load_settings
from hotline.speech.library import PromptLibrary
from hotline.store.calllog import CallLog
from ivr.menu import draft as edits
from ivr.menu.flow import DRAFT_LABEL, MenuFlow
from ivr.menu.loader import parse_menu
from ivr.menu.model import Menu
from ivr.menu.standard import check_menu, validate_text
from ivr.menu.structure import MenuError, Rule
from ivr.menu.walk import Leave, Walk
from tests.unit.test_i15_menu_keys import ScriptedCall, make_flow
from tests.unit.test_menu_model import base, dump, parse
from tests.unit.test_menu_validate import project_settings
from tests.unit.test_speech_audio import tone_wav

TEXT = "Новости о плановых работах на сайте."


def fresh() -> edits.Data:
    return edits.load(dump(base()))


def test_add_node_with_a_typed_prompt_and_a_fifth_option() -> None:
    data = fresh()
    new = edits.add_node(data, parent="info", key="3", kind="info", text=f"  {TEXT}  ")
    assert new == "info.3"
    menu = parse_menu(edits.dump(data))
    assert menu.node("info").options["3"] == "info.3"
    assert menu.texts == {"own.info.3": TEXT}
    assert menu.node("info.3").prompts is not None
    assert menu.catalogue_prompt_ids() == parse(base()).prompt_ids()
    with pytest.raises(edits.DraftError, match="уже занята"):
        edits.add_node(data, parent="info", key="3", kind="action", action="hangup")
    with pytest.raises(edits.DraftError, match="не меню"):
        edits.add_node(data, parent="bye", key="1", kind="action", action="hangup")
    with pytest.raises(edits.DraftError, match="укажите подсказку"):
        edits.add_node(data, parent="info", key="4", kind="info")
    with pytest.raises(edits.DraftError, match="неизвестное действие"):
        edits.add_node(data, parent="info", key="4", kind="action", action="teleport")


def test_remove_takes_the_subtree_and_its_own_prompts() -> None:
    data = fresh()
    edits.add_node(data, parent="info", key="3", kind="info", text=TEXT)
    assert edits.remove_node(data, "info") == ["info", "info.3", "info.operator", "info.tariffs"]
    text = edits.dump(data)
    assert "own.info.3" not in text and "prompts:" not in text
    menu = parse_menu(text)
    assert set(menu.nodes) == {"main", "readings", "bye"}
    with pytest.raises(edits.DraftError, match="главное меню"):
        edits.remove_node(data, "main")


def test_move_a_node_under_another_menu() -> None:
    data = fresh()
    edits.move_node(data, "bye", parent="info", key="3")
    menu = parse_menu(edits.dump(data))
    assert "3" not in menu.node("main").options
    assert menu.node("info").options["3"] == "bye"
    with pytest.raises(edits.DraftError, match="внутрь"):
        edits.move_node(data, "info", parent="info", key="4")


def test_set_prompt_and_action() -> None:
    data = fresh()
    edits.set_prompt(data, "info.tariffs", text=TEXT)
    edits.set_action(data, "info.operator", "callback_request")
    menu = parse_menu(edits.dump(data))
    assert menu.node("info.tariffs").prompts is not None
    assert menu.texts["own.info.tariffs"] == TEXT
    assert menu.node("info.operator").reason is None
    edits.set_prompt(data, "info.tariffs", prompt_id="info.tariffs")
    assert "prompts" not in edits.load(edits.dump(data))
    with pytest.raises(edits.DraftError, match="не действие"):
        edits.set_action(data, "main", "hangup")


def test_tree_draws_keys_and_nodes_out_of_the_tree() -> None:
    data = fresh()
    edits.add_node(data, parent="main", key="4", kind="info", text=TEXT)
    data["nodes"]["lost"] = {"kind": "action", "action": "hangup"}
    root, rest = edits.tree(data, {"main.short": "Главное меню"})
    assert root is not None and root.text == "Главное меню"
    assert [(c.key, c.id) for c in root.children] == [
        ("1", "readings"),
        ("2", "info"),
        ("3", "bye"),
        ("4", "main.4"),
    ]
    assert root.children[3].text == TEXT
    assert [n.id for n in rest] == ["lost"]


# --- own prompts against the rules ---------------------------------------------------------------
def own_menu(text: str = TEXT, prompt_id: str = "own.info.tariffs") -> Menu:
    data = base()
    data["nodes"]["info.tariffs"]["prompt"] = {"short": prompt_id, "detailed": prompt_id}
    data["prompts"] = {prompt_id: text}
    return parse(data)


def test_own_prompts_are_measured_like_catalogue_ones(tmp_path: Path) -> None:
    settings = project_settings(tmp_path)
    library = PromptLibrary(settings)
    menu = own_menu()
    assert check_menu(menu, settings, library, own={"fast": {"own.info.tariffs": 4.0}}) is menu
    with pytest.raises(MenuError) as long:
        check_menu(menu, settings, library, own={"fast": {"own.info.tariffs": 16.2}})
    ((node, rule, measured),) = [(v.node, v.rule, v.measured) for v in long.value.violations]
    assert (node, rule, measured) == ("info.tariffs", Rule.MAX_LEVEL_SPEECH_SECONDS, 16.2)
    with pytest.raises(MenuError) as unrendered:
        check_menu(menu, settings, library)
    assert [v.rule for v in unrendered.value.violations] == [Rule.NOT_BUILT]
    clash = own_menu(prompt_id="bye")
    with pytest.raises(MenuError) as clashing:
        check_menu(clash, settings, library, own={"fast": {"bye": 1.0}})
    assert Rule.PROMPT_ID in {v.rule for v in clashing.value.violations}


class Voice:
    """Speaks 0.1 s plus 0.05 s per character."""

    name = "rhvoice"

    async def synthesize(self, text: str, voice: str, rate: int) -> bytes:
        return tone_wav(0.1 + 0.05 * len(text))


async def test_validate_text_renders_own_prompts_with_the_voice(tmp_path: Path) -> None:
    settings = project_settings(tmp_path)
    library = PromptLibrary(settings, backend=Voice())
    data = base()
    data["nodes"]["info.tariffs"]["prompt"] = {"short": "own.x", "detailed": "own.x"}
    data["prompts"] = {"own.x": TEXT}
    assert (await validate_text(dump(data), "draft", settings, library)).texts["own.x"] == TEXT
    data["prompts"] = {"own.x": TEXT * 10}
    with pytest.raises(MenuError) as caught:
        await validate_text(dump(data), "draft", settings, library)
    (violation,) = caught.value.violations
    assert violation.rule == Rule.MAX_LEVEL_SPEECH_SECONDS and violation.measured
    assert violation.measured > 15


# --- a simulated call on the draft --------------------------------------------------------------
class Agi:
    def __init__(self, variables: dict[str, str]) -> None:
        self.variables = variables

    async def get_variable(self, name: str) -> str | None:
        return self.variables.get(name)


async def test_only_simulated_calls_get_the_draft() -> None:
    live, draft = parse(base()), own_menu()
    asked: list[str] = []

    async def drafts(sha: str) -> Menu | None:
        asked.append(sha)
        return draft if sha == "a" * 64 else None

    flow = MenuFlow(
        live,
        load_settings(environ={}),
        cast(CallLog, None),
        cast(PromptLibrary, None),
        cast(Any, None),
        cast(Any, None),
        recordings=cast(Any, None),
        callbacks=cast(Any, None),
        drafts=drafts,
    )
    variables = {"HOTLINE_MENU_DRAFT": "a" * 64}
    call = SimpleNamespace(simulated=True, facts=None, agi=Agi(variables))
    assert await flow._draft(cast(Any, call)) == (draft, f"{DRAFT_LABEL}{'a' * 12}")
    real = SimpleNamespace(simulated=False, facts=None, agi=Agi(variables))
    assert await flow._draft(cast(Any, real)) is None
    other = SimpleNamespace(simulated=True, facts=None, agi=Agi({"HOTLINE_MENU_DRAFT": "b" * 64}))
    assert await flow._draft(cast(Any, other)) is None
    assert (
        await flow._draft(cast(Any, SimpleNamespace(simulated=True, facts=None, agi=Agi({}))))
        is None
    )
    assert asked == ["a" * 64, "b" * 64]


class Speaking(ScriptedCall):
    async def play_text(self, prompt_id: str, text: str, escape_digits: str = "") -> str | None:
        self.played.append(f"{prompt_id}: {text}")
        return None


async def test_the_flow_speaks_own_prompts() -> None:
    menu = own_menu()
    flow = make_flow(menu, load_settings(environ={}))
    call = Speaking({"(wait)": ["2", "1", "0"]})
    walk = Walk(cast(Any, call), False, [menu.start], menu)
    with pytest.raises(Leave):
        for _ in range(10):
            await flow._step(walk)
    assert f"own.info.tariffs: {TEXT}" in call.played
    assert "own.info.tariffs" not in call.played
