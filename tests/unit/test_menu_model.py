"""IVR menu model: loading, the tree queries, structure errors, the published schema.

The helpers here (a small valid menu and its catalogue) are shared by the other
``test_menu_*`` modules.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from ivr.menu.loader import Unreadable, load_menu, parse_menu
from ivr.menu.model import Action, After, Menu, MenuNode, NodeKind, NodePrompts, UnknownNode
from ivr.menu.spec import menu_json_schema, menu_json_schema_text
from ivr.menu.structure import MenuError, Rule, Violation, structure_violations

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_MENU = ROOT / "menus" / "hotline.yaml"
SCHEMA_FILE = ROOT / "menus" / "schema.json"

CATALOGUE = """\
version: 1
prompts:
  - id: main.short
    text: "Показания — один. Информация — два."
  - id: main.detailed
    text: "Чтобы передать показания, нажмите один. Информация — два."
  - id: info.menu
    text: "Тарифы — один. Оператор — два."
  - id: info.detailed
    text: "Чтобы узнать тарифы, нажмите один. Оператор — два."
  - id: info.tariffs
    text: "Тарифы опубликованы на сайте {company}."
  - id: bye
    text: "До свидания!"
  - id: ivr.nav.hint
    text: "Звёздочка — назад, девять — повтор."
"""


def base() -> dict[str, Any]:
    """A valid menu: main (1 readings, 2 info, 3 bye), info (1 tariffs, 2 operator)."""
    return {
        "version": 1,
        "name": "test",
        "start": "main",
        "nodes": {
            "main": {
                "kind": "menu",
                "prompt": {"short": "main.short", "detailed": "main.detailed"},
                "options": {"1": "readings", "2": "info", "3": "bye"},
            },
            "readings": {"kind": "action", "action": "meter_readings"},
            "info": {
                "kind": "menu",
                "prompt": {"short": "info.menu", "detailed": "info.detailed"},
                "options": {"1": "info.tariffs", "2": "info.operator"},
            },
            "info.tariffs": {
                "kind": "info",
                "prompt": {"short": "info.tariffs", "detailed": "info.tariffs"},
                "then": "main",
            },
            "info.operator": {"kind": "action", "action": "operator", "reason": "outage"},
            "bye": {
                "kind": "action",
                "action": "hangup",
                "prompt": {"short": "bye", "detailed": "bye"},
            },
        },
    }


def dump(data: dict[str, Any]) -> str:
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


def parse(data: dict[str, Any]) -> Menu:
    return parse_menu(dump(data), "menus/test.yaml")


def problems(data: dict[str, Any] | str) -> list[Violation]:
    with pytest.raises(MenuError) as caught:
        parse_menu(data if isinstance(data, str) else dump(data), "menus/test.yaml")
    return list(caught.value.violations)


# --- the model ---------------------------------------------------------------------------------
def test_loads_the_tree_and_answers_queries() -> None:
    menu = parse(base())
    assert menu.name == "test" and menu.start == "main" and menu.source == "menus/test.yaml"
    main = menu.node("main")
    assert main == MenuNode(
        "main",
        NodeKind.MENU,
        NodePrompts("main.short", "main.detailed"),
        {"1": "readings", "2": "info", "3": "bye"},
    )
    assert dict(main.options) == {"1": "readings", "2": "info", "3": "bye"}
    assert menu.node("readings").action is Action.METER_READINGS
    assert menu.node("readings").prompts is None
    operator = menu.node("info.operator")
    assert (operator.kind, operator.action, operator.reason) == (
        NodeKind.ACTION,
        Action.OPERATOR,
        "outage",
    )
    assert menu.node("info.tariffs").then is After.MAIN
    assert menu.node("readings").then is After.BACK  # the default
    assert menu.parent("main") is None and menu.parent("info.tariffs") == "info"
    assert menu.level("main") == 1 and menu.level("info") == 2 and menu.level("info.tariffs") == 3
    assert menu.path("info.operator") == ("main", "info", "info.operator")
    assert menu.key_to("info") == "2" and menu.key_to("main") is None
    assert [(node.id, level) for node, level in menu.walk()] == [
        ("main", 1),
        ("readings", 2),
        ("info", 2),
        ("info.tariffs", 3),
        ("info.operator", 3),
        ("bye", 2),
    ]
    assert menu.prompt_ids() == {
        "main.short",
        "main.detailed",
        "info.menu",
        "info.detailed",
        "info.tariffs",
        "bye",
    }
    with pytest.raises(UnknownNode, match="no node 'nowhere'"):
        menu.node("nowhere")


def test_the_model_is_immutable() -> None:
    menu = parse(base())
    with pytest.raises(AttributeError):
        menu.start = "info"  # type: ignore[misc]
    with pytest.raises(TypeError):
        menu.node("main").options["4"] = "bye"  # type: ignore[index]
    with pytest.raises(TypeError):
        menu.nodes["x"] = menu.node("main")  # type: ignore[index]


def test_option_keys_written_as_numbers_are_keys() -> None:
    text = dump(base()).replace("'1': readings", "1: readings")
    assert "1: readings" in text and "'1'" in text  # one written bare, the others quoted
    assert dict(parse_menu(text).node("main").options) == {
        "1": "readings",
        "2": "info",
        "3": "bye",
    }


def test_load_menu_reads_a_file(tmp_path: Path) -> None:
    path = tmp_path / "menu.yaml"
    path.write_text(dump(base()), encoding="utf-8")
    assert load_menu(path).source == str(path)
    with pytest.raises(MenuError) as caught:
        load_menu(tmp_path / "absent.yaml")
    assert caught.value.violations[0].rule == Unreadable.FILE
    assert "absent.yaml" in str(caught.value)


# --- structure errors --------------------------------------------------------------------------
def _set(path: str, value: Any) -> Any:
    """A mutation of :func:`base` setting ``nodes.a.b`` style ``path`` (None deletes it)."""

    def mutate(data: dict[str, Any]) -> None:
        *parents, last = path.split("/")
        target = data
        for part in parents:
            target = target[part]
        if value is None:
            del target[last]
        else:
            target[last] = value

    return mutate


STRUCTURE_CASES = [
    ("nodes/main/colour", "red", "main", Rule.UNKNOWN_KEY, "unknown key 'colour' for a menu"),
    ("nodes/info.tariffs/options", {"1": "bye"}, "info.tariffs", Rule.UNKNOWN_KEY, "'options'"),
    ("comment", "x", "", Rule.UNKNOWN_KEY, "unknown top-level key 'comment'"),
    ("nodes/readings/kind", "widget", "readings", Rule.KIND, "unknown kind 'widget'"),
    ("nodes/readings/kind", None, "readings", Rule.KIND, "missing kind"),
    ("nodes/readings/action", "teleport", "readings", Rule.ACTION, "unknown action 'teleport'"),
    ("nodes/readings/action", None, "readings", Rule.ACTION, "missing action"),
    ("nodes/main/options/12", "bye", "main", Rule.OPTION_KEY, "option key '12'"),
    ("nodes/main/options/a", "bye", "main", Rule.OPTION_KEY, "option key 'a'"),
    ("nodes/main/options/4", "infoo", "main", Rule.MISSING_NODE, "did you mean 'info'"),
    ("nodes/main/options/4", "Bad Id", "main", Rule.MISSING_NODE, "'Bad Id'"),
    ("nodes/info/options/3", "main", "info", Rule.CYCLE, "main → info → main"),
    ("nodes/info/options/3", "readings", "readings", Rule.TWO_PARENTS, '"main" key 1'),
    ("nodes/spare", {"kind": "action", "action": "hangup"}, "spare", Rule.UNREACHABLE, "main"),
    ("nodes/info/prompt", None, "info", Rule.PROMPT_MISSING, "a menu node needs prompt"),
    ("nodes/info.tariffs/prompt", None, "info.tariffs", Rule.PROMPT_MISSING, "info node"),
    ("nodes/info/prompt/detailed", None, "info", Rule.PROMPT_MISSING, "prompt.detailed"),
    ("nodes/info/prompt/short", "Info Menu", "info", Rule.PROMPT_ID, "'Info Menu'"),
    ("nodes/info/options", {}, "info", Rule.OPTIONS, "at least one option"),
    ("nodes/info/options", None, "info", Rule.OPTIONS, "needs options"),
    ("version", 2, "", Rule.VERSION, "version must be 1, got 2"),
    ("start", "mian", "", Rule.START, "did you mean 'main'"),
    ("start", "readings", "readings", Rule.START, "must be a menu"),
    ("nodes/readings/reason", "outage", "readings", Rule.REASON, "action operator only"),
    ("nodes/info.operator/reason", "Outage!", "info.operator", Rule.REASON, "bad reason"),
    ("nodes/info.operator/then", "back", "info.operator", Rule.THEN, "does not come back"),
    ("nodes/info.tariffs/then", "sideways", "info.tariffs", Rule.THEN, "'sideways'"),
    ("nodes/Main", {"kind": "action", "action": "hangup"}, "Main", Rule.NODE_ID, "bad node id"),
    ("nodes/readings", "meter", "readings", Rule.SCHEMA, "expected a mapping"),
]


@pytest.mark.parametrize(
    ("path", "value", "node", "rule", "fragment"),
    STRUCTURE_CASES,
    ids=[f"{case[3]}-{case[0]}" for case in STRUCTURE_CASES],
)
def test_structure_error_names_node_and_rule(
    path: str, value: Any, node: str, rule: str, fragment: str
) -> None:
    data = base()
    _set(path, value)(data)
    found = problems(data)
    matching = [v for v in found if v.rule == rule and v.node == node]
    assert matching, found
    assert any(fragment in v.message for v in matching), matching
    text = str(MenuError(found, "menus/test.yaml"))
    assert text.startswith("menus/test.yaml: ")
    where = f'node "{node}"' if node else "menu"
    assert f"{where}: rule {rule}: " in text


def test_every_problem_is_reported_at_once() -> None:
    data = base()
    data["nodes"]["info"]["options"]["3"] = "main"  # a cycle
    data["nodes"]["info"]["options"]["4"] = "gone"  # a missing node
    data["nodes"]["spare"] = {"kind": "info", "prompt": {"short": "bye", "detailed": "bye"}}
    with pytest.raises(MenuError) as caught:
        parse(data)
    rules = {(v.node, v.rule) for v in caught.value.violations}
    assert rules == {
        ("info", Rule.CYCLE),
        ("info", Rule.MISSING_NODE),
        ("spare", Rule.UNREACHABLE),
    }
    message = str(caught.value)
    assert message.startswith("menus/test.yaml: 3 problems\n")
    assert len(message.splitlines()) == 4


def test_cycle_away_from_the_start_is_found() -> None:
    data = base()
    data["nodes"]["a"] = {"kind": "menu", "prompt": base()["nodes"]["info"]["prompt"]}
    data["nodes"]["b"] = copy.deepcopy(data["nodes"]["a"])
    data["nodes"]["a"]["options"] = {"1": "b"}
    data["nodes"]["b"]["options"] = {"1": "a"}
    found = {(v.node, v.rule) for v in problems(data)}
    assert found == {("b", Rule.CYCLE), ("a", Rule.UNREACHABLE), ("b", Rule.UNREACHABLE)}


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("version: 1\nversion: 1\n", "appears twice"),
        ("nodes: [unclosed\n", "not valid YAML"),
        ("- a list\n", "expected a mapping"),
        ("", "expected a mapping"),
    ],
)
def test_bad_yaml_is_a_menu_error(text: str, fragment: str) -> None:
    (violation,) = problems(text)
    assert violation.node == "" and fragment in violation.message


def test_structure_of_a_menu_built_in_code() -> None:
    prompts = NodePrompts("a", "b")
    menu = Menu(
        "coded",
        "main",
        {
            "main": MenuNode("main", NodeKind.MENU, prompts, {"1": "note", "x": "main"}),
            "note": MenuNode("note", NodeKind.INFO, None, {"1": "main"}, Action.HANGUP),
            "act": MenuNode("other", NodeKind.ACTION, reason="menu"),
        },
    )
    found = {(v.node, v.rule) for v in structure_violations(menu)}
    assert found == {
        ("main", Rule.OPTION_KEY),
        ("note", Rule.PROMPT_MISSING),
        ("note", Rule.OPTIONS),
        ("note", Rule.ACTION),
        ("act", Rule.NODE_ID),
        ("act", Rule.ACTION),
        ("act", Rule.REASON),
        ("main", Rule.CYCLE),
        ("note", Rule.CYCLE),
        ("act", Rule.UNREACHABLE),
    }
    with pytest.raises(UnknownNode, match="not reachable"):
        menu.level("act")


@st.composite
def trees(draw: st.DrawFn) -> dict[str, Any]:
    """Random valid trees: each new node hangs under an earlier menu with a free key."""
    prompt = {"short": "main.short", "detailed": "main.detailed"}
    nodes: dict[str, Any] = {"n0": {"kind": "menu", "prompt": prompt, "options": {}}}
    for index in range(1, draw(st.integers(1, 25))):
        menus = [n for n, spec in nodes.items() if spec["kind"] == "menu"]
        parent = draw(st.sampled_from(menus))
        free = [k for k in "1234567890*#" if k not in nodes[parent]["options"]]
        if not free:
            continue
        nodes[parent]["options"][draw(st.sampled_from(free))] = f"n{index}"
        kind = draw(st.sampled_from(["menu", "info", "action"]))
        if kind == "action":
            nodes[f"n{index}"] = {"kind": "action", "action": "hangup"}
        else:
            nodes[f"n{index}"] = {"kind": kind, "prompt": prompt}
            if kind == "menu":
                nodes[f"n{index}"]["options"] = {}
    for spec in list(nodes.values()):  # menus need an option: give empty ones a hang-up
        if spec["kind"] == "menu" and not spec["options"]:
            leaf = f"leaf{len(nodes)}"
            spec["options"]["1"] = leaf
            nodes[leaf] = {"kind": "action", "action": "hangup"}
    return {"version": 1, "name": "random", "start": "n0", "nodes": nodes}


@settings(max_examples=60, deadline=None)
@given(trees())
def test_any_tree_loads_with_consistent_levels_and_parents(data: dict[str, Any]) -> None:
    menu = parse(data)
    walked = list(menu.walk())
    assert {node.id for node, _ in walked} == set(menu.nodes)
    for node, level in walked:
        assert menu.level(node.id) == level == len(menu.path(node.id))
        for key, child in node.options.items():
            assert menu.parent(child) == node.id and menu.key_to(child) == key


# --- the published schema ----------------------------------------------------------------------
def test_published_schema_is_up_to_date() -> None:
    assert SCHEMA_FILE.read_text(encoding="utf-8") == menu_json_schema_text(), (
        "menus/schema.json is out of date: run `hotline menu schema -o menus/schema.json`"
    )


def test_schema_describes_the_format() -> None:
    schema = menu_json_schema()
    assert schema["$schema"].endswith("2020-12/schema")
    assert schema["required"] == ["version", "name", "start", "nodes"]
    assert schema["additionalProperties"] is False
    defs = schema["$defs"]
    assert defs["Action"]["enum"] == [a.value for a in Action]
    assert defs["After"]["enum"] == [a.value for a in After]
    options = defs["MenuSpec"]["properties"]["options"]
    assert options["additionalProperties"] is False
    assert list(options["patternProperties"]) == ["^[0-9*#]$"]
    nodes = schema["properties"]["nodes"]
    assert nodes["additionalProperties"] is False
    (node,) = nodes["patternProperties"].values()
    kinds = node["discriminator"]["mapping"]
    assert sorted(kinds) == sorted(k.value for k in NodeKind)
    assert json.loads(SCHEMA_FILE.read_text(encoding="utf-8")) == schema


# --- the default menu --------------------------------------------------------------------------
def test_default_menu_is_the_electricity_retailer_tree() -> None:
    menu = load_menu(DEFAULT_MENU)
    assert menu.start == "main"
    main = menu.node("main")
    assert [(key, menu.node(child).kind) for key, child in main.options.items()] == [
        ("1", NodeKind.ACTION),
        ("2", NodeKind.ACTION),
        ("3", NodeKind.MENU),
        ("4", NodeKind.MENU),
    ]
    readings, balance, info, outages = (menu.node(c) for c in main.options.values())
    assert readings.action is Action.METER_READINGS
    assert balance.action is Action.ACCOUNT_BALANCE
    assert [menu.node(c).kind for c in info.options.values()] == [NodeKind.INFO] * 4
    report = menu.node(outages.options["1"])
    assert (report.action, report.reason) == (Action.OPERATOR, "outage")
    assert menu.node(outages.options["2"]).kind is NodeKind.INFO
    assert "0" not in main.options  # the operator is the navigation key, not an option
    for node in menu.nodes.values():
        if node.kind is not NodeKind.ACTION:
            assert node.prompts is not None
        if node.kind is NodeKind.MENU:
            assert node.prompts is not None and node.prompts.short != node.prompts.detailed
