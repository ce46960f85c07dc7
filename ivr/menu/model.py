"""IVR menus: the tree the runtime engine walks, loaded from ``menus/*.yaml`` and checked.

Format (published as ``menus/schema.json``, generated from the ``*Spec`` models below by
``hotline menu schema``)::

    version: 1
    name: hotline
    start: main
    nodes:
      main:
        kind: menu
        prompt: {short: ivr.main.short, detailed: ivr.main.detailed}
        options: {1: readings, 2: balance, 3: info}      # DTMF key -> child node id
      readings: {kind: action, action: meter_readings}
      info:
        kind: info
        prompt: {short: info.tariffs, detailed: info.tariffs}
        then: back                                       # back | main | hangup (default back)
      outage_report: {kind: action, action: operator, reason: outage}

Nodes are ``menu`` (options on keys, played with a short prompt for experienced callers and a
detailed one for first-time callers), ``info`` (a message, then back, to the main menu or hang
up) and ``action`` (meter readings, balance, operator, callback request, hang up; an action
may play a prompt first).  The menus form a tree: every node but the start has exactly one
parent.  :func:`load_menu` checks the structure; :func:`validate_menu` adds the service
standard's rules (R-016..R-018, R-020): menu levels, options per level, seconds of speech per
level measured on the rendered audio of a voice, reserved navigation keys, and that every
prompt is in the catalogue.  :func:`load_and_validate` is what the engine calls at load.
"""

from __future__ import annotations

import difflib
import json
import re
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from functools import partial
from pathlib import Path
from types import MappingProxyType
from typing import Annotated, Any, Final, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from hotline.core.strict_yaml import load_strict
from hotline.settings import IvrSettings, Settings
from hotline.speech.catalogue import Catalogue, UnknownPrompt
from hotline.speech.library import PromptLibrary, PromptsNotBuilt
from hotline.speech.paths import voice_dir_name

FORMAT_VERSION: Final = 1
# Node ids: lower-case latin letters, digits, "_" and "." (like prompt ids), starting with a
# letter.  A single DTMF key per option; the navigation keys are then refused by the rules.
NODE_ID_PATTERN: Final = r"^[a-z][a-z0-9_.]*$"
PROMPT_ID_PATTERN: Final = r"^[a-z0-9_.]+$"
OPTION_KEY_PATTERN: Final = r"^[0-9*#]$"
REASON_PATTERN: Final = r"^[a-z][a-z0-9_]*$"
SCHEMA_DIALECT: Final = "https://json-schema.org/draft/2020-12/schema"
_NODE_ID: Final = re.compile(NODE_ID_PATTERN)
_OPTION_KEY: Final = re.compile(OPTION_KEY_PATTERN)


# --- The model the engine walks ---------------------------------------------------------------
class NodeKind(StrEnum):
    MENU = "menu"
    INFO = "info"
    ACTION = "action"


class Action(StrEnum):
    METER_READINGS = "meter_readings"
    ACCOUNT_BALANCE = "account_balance"
    OPERATOR = "operator"
    CALLBACK = "callback_request"
    HANGUP = "hangup"


class After(StrEnum):
    """Where the caller goes when an info node (or a returning action) is done."""

    BACK = "back"  # the parent menu
    MAIN = "main"  # the start menu
    HANGUP = "hangup"  # goodbye and hang up


# Actions after which the call does not come back to the menu: ``then`` means nothing there.
FINAL_ACTIONS: Final = frozenset({Action.OPERATOR, Action.HANGUP})


class Rule(StrEnum):
    """The ``rule`` of a :class:`Violation`: limits are named after their settings."""

    # Rules of the service standard, with their limits in ``settings.ivr``.
    MAX_LEVELS = "max_levels"
    MAX_OPTIONS = "max_options"
    MAX_LEVEL_SPEECH_SECONDS = "max_level_speech_seconds"
    RESERVED_KEY = "reserved_key"
    UNKNOWN_PROMPT = "unknown_prompt"
    NOT_BUILT = "not_built"
    # Structure of the file and of the tree.
    FILE = "file"
    YAML = "yaml"
    VERSION = "version"
    SCHEMA = "schema"
    UNKNOWN_KEY = "unknown_key"
    KIND = "kind"
    ACTION = "action"
    REASON = "reason"
    THEN = "then"
    NODE_ID = "node_id"
    PROMPT_ID = "prompt_id"
    PROMPT_MISSING = "prompt_missing"
    OPTIONS = "options"
    OPTION_KEY = "option_key"
    MISSING_NODE = "missing_node"
    START = "start"
    CYCLE = "cycle"
    TWO_PARENTS = "two_parents"
    UNREACHABLE = "unreachable"


@dataclass(frozen=True)
class Violation:
    """One broken rule: the node (``""`` for the file as a whole), the rule and, for limits,
    the measured value (seconds, level or number of options)."""

    node: str
    rule: str
    message: str
    measured: float | None = None

    def __str__(self) -> str:
        where = f"node {self.node!r}".replace("'", '"') if self.node else "menu"
        return f"{where}: rule {self.rule}: {self.message}"


class MenuError(ValueError):
    """The menu file is invalid; ``str()`` lists every violation."""

    def __init__(self, violations: Sequence[Violation], source: str = "") -> None:
        self.violations = tuple(violations)
        self.source = source
        count = len(self.violations)
        head = f"{source or 'menu'}: {count} problem{'s' if count != 1 else ''}"
        super().__init__(head + "".join(f"\n  {v}" for v in self.violations))


@dataclass(frozen=True)
class NodePrompts:
    short: str  # for experienced callers
    detailed: str  # for first-time callers

    def items(self) -> tuple[tuple[str, str], ...]:
        """``(variant, prompt id)``, once per distinct id."""
        if self.short == self.detailed:
            return (("short", self.short),)
        return (("short", self.short), ("detailed", self.detailed))


def _no_options() -> Mapping[str, str]:
    return MappingProxyType({})


@dataclass(frozen=True)
class MenuNode:
    id: str
    kind: NodeKind
    prompts: NodePrompts | None = None
    # DTMF key -> child node id, in the order written (menu nodes only).
    options: Mapping[str, str] = field(default_factory=_no_options)
    action: Action | None = None
    # Operator reason (HOTLINE_OPERATOR_REASON) for ``action: operator``; None = the default.
    reason: str | None = None
    then: After = After.BACK


@dataclass(frozen=True)
class Menu:
    name: str
    start: str
    nodes: Mapping[str, MenuNode]
    source: str = "<menu>"  # the file, for messages
    # Tree parent and level of every node reachable from the start (breadth first).
    _parents: Mapping[str, str | None] = field(init=False, repr=False, compare=False)
    _levels: Mapping[str, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        parents: dict[str, str | None] = {}
        levels: dict[str, int] = {}
        if self.start in self.nodes:
            parents[self.start] = None
            levels[self.start] = 1
            queue = deque([self.start])
            while queue:
                current = queue.popleft()
                for child in self.nodes[current].options.values():
                    if child in self.nodes and child not in parents:
                        parents[child] = current
                        levels[child] = levels[current] + 1
                        queue.append(child)
        object.__setattr__(self, "_parents", MappingProxyType(parents))
        object.__setattr__(self, "_levels", MappingProxyType(levels))

    def node(self, node_id: str) -> MenuNode:
        try:
            return self.nodes[node_id]
        except KeyError:
            raise KeyError(f"menu {self.name!r} ({self.source}) has no node {node_id!r}") from None

    def parent(self, node_id: str) -> str | None:
        """The menu whose option leads to ``node_id``; None for the start node."""
        self._reachable(node_id)
        return self._parents[node_id]

    def level(self, node_id: str) -> int:
        """1 for the start menu, 2 for its options, and so on."""
        self._reachable(node_id)
        return self._levels[node_id]

    def path(self, node_id: str) -> tuple[str, ...]:
        """Node ids from the start down to ``node_id``, both included."""
        self._reachable(node_id)
        path: list[str] = []
        current: str | None = node_id
        while current is not None:
            path.append(current)
            current = self._parents[current]
        return tuple(reversed(path))

    def key_to(self, node_id: str) -> str | None:
        """The key the parent menu offers ``node_id`` on; None for the start node."""
        parent = self.parent(node_id)
        if parent is None:
            return None
        return next(k for k, child in self.nodes[parent].options.items() if child == node_id)

    def walk(self) -> Iterator[tuple[MenuNode, int]]:
        """``(node, level)`` depth first from the start, options in key order."""
        if self.start not in self.nodes:
            return
        stack = [self.start]
        seen: set[str] = set()
        while stack:
            node_id = stack.pop()
            if node_id in seen:
                continue
            seen.add(node_id)
            node = self.nodes[node_id]
            yield node, self._levels[node_id]
            children = [
                c for _, c in sorted(node.options.items()) if self._parents.get(c) == node_id
            ]
            stack.extend(reversed(children))

    def prompt_ids(self) -> set[str]:
        ids: set[str] = set()
        for node in self.nodes.values():
            if node.prompts is not None:
                ids.update((node.prompts.short, node.prompts.detailed))
        return ids

    def _reachable(self, node_id: str) -> None:
        self.node(node_id)
        if node_id not in self._parents:
            raise KeyError(
                f"node {node_id!r} is not reachable from {self.start!r} ({self.source})"
            )


# --- The file format (pydantic; menus/schema.json is generated from these) ----------------------
NodeId = Annotated[str, Field(pattern=NODE_ID_PATTERN)]
PromptId = Annotated[str, Field(pattern=PROMPT_ID_PATTERN)]
OptionKey = Annotated[str, Field(pattern=OPTION_KEY_PATTERN)]


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PromptSpec(_Spec):
    """Prompt ids from prompts/catalogue.yaml (the same id twice is fine)."""

    short: PromptId = Field(description="For experienced callers.")
    detailed: PromptId = Field(description="For first-time callers.")


class MenuSpec(_Spec):
    """A menu: its prompt names every choice; the caller picks one by key."""

    kind: Literal["menu"]
    prompt: PromptSpec
    options: dict[OptionKey, NodeId] = Field(
        min_length=1,
        description="DTMF key -> child node id. The navigation keys (operator, back, main "
        "menu; 0, * and # by default) are reserved.",
        json_schema_extra={"additionalProperties": False},
    )


class InfoSpec(_Spec):
    """Reference information, then back, to the main menu or hang up."""

    kind: Literal["info"]
    prompt: PromptSpec
    then: After = Field(After.BACK, description="Where the caller goes after the message.")


class ActionSpec(_Spec):
    """Something the engine does: meter readings, balance, operator, callback, hang up."""

    kind: Literal["action"]
    action: Action
    reason: Annotated[str, Field(pattern=REASON_PATTERN)] | None = Field(
        None, description="Operator reason shown to the operator (action operator only)."
    )
    prompt: PromptSpec | None = Field(None, description="Played before the action.")
    then: After | None = Field(
        None, description="Where the caller goes when a returning action is done (default back)."
    )


NodeSpec = Annotated[MenuSpec | InfoSpec | ActionSpec, Field(discriminator="kind")]
_SPEC_OF_KIND: Final[dict[str, type[_Spec]]] = {
    "menu": MenuSpec,
    "info": InfoSpec,
    "action": ActionSpec,
}


class MenuFileSpec(_Spec):
    """A hotline IVR menu file (menus/*.yaml; model: ivr/menu/model.py)."""

    model_config = ConfigDict(title="hotline IVR menu")

    version: Literal[1]
    name: str = Field(min_length=1)
    start: NodeId = Field(description="The main menu: level 1.")
    nodes: dict[NodeId, NodeSpec] = Field(
        min_length=1, json_schema_extra={"additionalProperties": False}
    )


def menu_json_schema() -> dict[str, Any]:
    """The published JSON schema of menu files (``menus/schema.json``)."""
    schema = MenuFileSpec.model_json_schema()
    return {"$schema": SCHEMA_DIALECT, **schema}


def menu_json_schema_text() -> str:
    return json.dumps(menu_json_schema(), indent=2, ensure_ascii=False) + "\n"


# --- Loading ---------------------------------------------------------------------------------
def load_menu(path: Path) -> Menu:
    """Read and check a menu file; :class:`MenuError` names each bad node and rule."""
    source = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise MenuError(
            [Violation("", Rule.FILE, f"cannot read {path}: {reason}")], source
        ) from exc
    return parse_menu(text, source)


def parse_menu(text: str, source: str = "<menu>") -> Menu:
    """:func:`load_menu` on text already read (``source`` names it in messages)."""
    try:
        data = load_strict(text)
    except yaml.YAMLError as exc:
        raise MenuError([Violation("", Rule.YAML, f"not valid YAML: {exc}")], source) from exc
    if not isinstance(data, dict):
        message = "expected a mapping with version, name, start and nodes"
        raise MenuError([Violation("", Rule.SCHEMA, message)], source)
    data = _normalise(data)
    try:
        spec = MenuFileSpec.model_validate(data)
    except ValidationError as exc:
        raise MenuError(_spec_violations(exc, data), source) from exc
    violations: list[Violation] = []
    menu = _from_spec(spec, source, violations)
    violations.extend(structure_violations(menu))
    if violations:
        raise MenuError(violations, source)
    return menu


def _normalise(data: dict[Any, Any]) -> dict[Any, Any]:
    """Option keys written as numbers (``1: readings``) become the strings they spell."""
    nodes = data.get("nodes")
    if not isinstance(nodes, dict):
        return data
    fixed: dict[Any, Any] = {}
    for node_id, node in nodes.items():
        options = node.get("options") if isinstance(node, dict) else None
        if isinstance(options, dict):
            keys = {
                (str(k) if isinstance(k, int) and not isinstance(k, bool) else k): v
                for k, v in options.items()
            }
            node = {**node, "options": keys}
        fixed[node_id] = node
    return {**data, "nodes": fixed}


def _spec_violations(exc: ValidationError, data: dict[Any, Any]) -> list[Violation]:
    found: list[Violation] = []
    for error in exc.errors():
        violation = _spec_violation(error, data)
        if violation not in found:
            found.append(violation)
    return found


def _spec_violation(error: Any, data: dict[Any, Any]) -> Violation:
    loc: tuple[Any, ...] = tuple(error["loc"])
    kind_of = error["type"]
    ctx = error.get("ctx") or {}
    if len(loc) < 2 or loc[0] != "nodes" or loc[1] == "[key]":
        return _file_violation(loc, error)
    node = str(loc[1])
    rest = loc[2:]
    raw = data["nodes"].get(loc[1]) if isinstance(data.get("nodes"), dict) else None
    kind = raw.get("kind") if isinstance(raw, dict) else None
    if rest and rest[0] in _SPEC_OF_KIND:
        kind, rest = rest[0], rest[1:]
    field_name = str(rest[0]) if rest else ""
    if rest == ("[key]",):
        message = f"bad node id {loc[1]!r}: lower-case latin letters, digits, '_' and '.'"
        return Violation(node, Rule.NODE_ID, message)
    if kind_of == "union_tag_invalid":
        tag = ctx.get("tag")
        return Violation(node, Rule.KIND, f"unknown kind {tag!r} (expected menu, info or action)")
    if kind_of == "union_tag_not_found":
        return Violation(node, Rule.KIND, "missing kind (menu, info or action)")
    if kind_of == "extra_forbidden":
        spec = _SPEC_OF_KIND.get(str(kind))
        allowed = ", ".join(spec.model_fields) if spec else ""
        where = f"a {kind} node" if kind else "a node"
        return Violation(
            node, Rule.UNKNOWN_KEY, f"unknown key {rest[-1]!r} for {where} ({allowed})"
        )
    if field_name == "options" and rest[-1] == "[key]":
        message = f"option key {rest[1]!r} is not one DTMF key (a digit 0-9, * or #)"
        return Violation(node, Rule.OPTION_KEY, message)
    if field_name == "options" and len(rest) == 2 and kind_of == "string_pattern_mismatch":
        message = f"option {rest[1]} leads to {error['input']!r}, which is no valid node id"
        return Violation(node, Rule.MISSING_NODE, message)
    if field_name == "options" and kind_of == "too_short":
        return Violation(node, Rule.OPTIONS, "a menu needs at least one option")
    if kind_of == "missing":
        if field_name == "prompt":
            message = (
                f"missing prompt.{rest[1]}"
                if len(rest) > 1
                else f"a {kind} node needs prompt: {{short: <id>, detailed: <id>}}"
            )
            return Violation(node, Rule.PROMPT_MISSING, message)
        if field_name == "action":
            return Violation(node, Rule.ACTION, f"missing action ({_choices(Action)})")
        if field_name == "options":
            return Violation(node, Rule.OPTIONS, "a menu needs options: {<key>: <node id>}")
        return Violation(node, Rule.SCHEMA, f"missing {'.'.join(map(str, rest))}")
    if field_name == "action" and kind_of == "enum":
        message = f"unknown action {error['input']!r} ({_choices(Action)})"
        return Violation(node, Rule.ACTION, message)
    if field_name == "then" and kind_of == "enum":
        return Violation(node, Rule.THEN, f"unknown then {error['input']!r} ({_choices(After)})")
    if field_name == "prompt" and kind_of == "string_pattern_mismatch":
        message = (
            f"bad prompt id {error['input']!r}: lower-case latin letters, digits, '_' and '.'"
        )
        return Violation(node, Rule.PROMPT_ID, message)
    if field_name == "reason":
        message = f"bad reason {error.get('input')!r}: lower-case latin letters, digits and '_'"
        return Violation(node, Rule.REASON, message)
    where = ".".join(map(str, rest)) or "node"
    if kind_of in ("dict_type", "model_type", "model_attributes_type") and not rest:
        return Violation(node, Rule.SCHEMA, "expected a mapping with kind and its keys")
    return Violation(node, Rule.SCHEMA, f"{where}: {error['msg']}")


def _file_violation(loc: tuple[Any, ...], error: Any) -> Violation:
    kind_of = error["type"]
    where = ".".join(map(str, loc))
    if loc == ("version",):
        got = error.get("input")
        return Violation("", Rule.VERSION, f"version must be {FORMAT_VERSION}, got {got!r}")
    if kind_of == "extra_forbidden":
        allowed = ", ".join(MenuFileSpec.model_fields)
        return Violation("", Rule.UNKNOWN_KEY, f"unknown top-level key {where!r} ({allowed})")
    if kind_of == "missing":
        return Violation("", Rule.SCHEMA, f"missing {where}")
    if loc and loc[0] == "start":
        return Violation("", Rule.START, f"bad start node id {error.get('input')!r}")
    if loc[-1:] == ("[key]",):
        message = f"bad node id {loc[1]!r}: lower-case latin letters, digits, '_' and '.'"
        return Violation(str(loc[1]), Rule.NODE_ID, message)
    return Violation("", Rule.SCHEMA, f"{where or 'file'}: {error['msg']}")


def _choices(enum: type[StrEnum]) -> str:
    return "expected " + ", ".join(member.value for member in enum)


def _from_spec(spec: MenuFileSpec, source: str, violations: list[Violation]) -> Menu:
    nodes: dict[str, MenuNode] = {}
    for node_id, node in spec.nodes.items():
        prompts = (
            NodePrompts(node.prompt.short, node.prompt.detailed)
            if node.prompt is not None
            else None
        )
        if isinstance(node, MenuSpec):
            nodes[node_id] = MenuNode(
                node_id, NodeKind.MENU, prompts, MappingProxyType(dict(node.options))
            )
        elif isinstance(node, InfoSpec):
            nodes[node_id] = MenuNode(node_id, NodeKind.INFO, prompts, then=node.then)
        else:
            if node.then is not None and node.action in FINAL_ACTIONS:
                message = f"action {node.action} does not come back: then means nothing here"
                violations.append(Violation(node_id, Rule.THEN, message))
            nodes[node_id] = MenuNode(
                node_id,
                NodeKind.ACTION,
                prompts,
                action=node.action,
                reason=node.reason,
                then=node.then or After.BACK,
            )
    return Menu(spec.name, spec.start, MappingProxyType(nodes), source)


# --- Structure of the tree -------------------------------------------------------------------
def structure_violations(menu: Menu) -> list[Violation]:
    """Everything wrong with the shape of ``menu``, whatever the settings and voices."""
    found: list[Violation] = []
    nodes = menu.nodes
    for node_id, node in nodes.items():
        found.extend(_node_shape(node_id, node, nodes))
    if menu.start not in nodes:
        hint = _did_you_mean(menu.start, nodes)
        found.append(Violation("", Rule.START, f"start node {menu.start!r} is not defined{hint}"))
        return found
    if nodes[menu.start].kind is not NodeKind.MENU:
        found.append(Violation(menu.start, Rule.START, "the start node must be a menu"))
    incoming: dict[str, list[str]] = {}
    for parent_id, node in nodes.items():
        for key, child in node.options.items():
            if child in nodes:
                incoming.setdefault(child, []).append(f'"{parent_id}" key {key}')
    for child, edges in incoming.items():
        if child != menu.start and len(edges) > 1:
            message = (
                f"{len(edges)} options lead here ({', '.join(edges)}): every node but the "
                "start has exactly one parent"
            )
            found.append(Violation(child, Rule.TWO_PARENTS, message))
    found.extend(_cycles(menu))
    reachable = _reachable(menu)
    for node_id in nodes:
        if node_id not in reachable:
            message = f"no option leads here from the start node {menu.start!r}"
            found.append(Violation(node_id, Rule.UNREACHABLE, message))
    return found


def _node_shape(node_id: str, node: MenuNode, nodes: Mapping[str, MenuNode]) -> list[Violation]:
    found = []
    if node.id != node_id:
        found.append(
            Violation(node_id, Rule.NODE_ID, f"stored as {node_id!r} but named {node.id!r}")
        )
    elif not _NODE_ID.fullmatch(node_id):
        message = f"bad node id {node_id!r}: lower-case latin letters, digits, '_' and '.'"
        found.append(Violation(node_id, Rule.NODE_ID, message))
    if node.kind in (NodeKind.MENU, NodeKind.INFO) and node.prompts is None:
        found.append(Violation(node_id, Rule.PROMPT_MISSING, f"a {node.kind} node needs prompts"))
    if node.kind is NodeKind.MENU and not node.options:
        found.append(Violation(node_id, Rule.OPTIONS, "a menu needs at least one option"))
    if node.kind is not NodeKind.MENU and node.options:
        found.append(Violation(node_id, Rule.OPTIONS, "only menu nodes have options"))
    if node.kind is NodeKind.ACTION and node.action is None:
        found.append(Violation(node_id, Rule.ACTION, f"missing action ({_choices(Action)})"))
    if node.kind is not NodeKind.ACTION and node.action is not None:
        found.append(Violation(node_id, Rule.ACTION, "only action nodes have an action"))
    if node.reason is not None and node.action is not Action.OPERATOR:
        found.append(Violation(node_id, Rule.REASON, "reason is for action operator only"))
    for key, child in node.options.items():
        if not _OPTION_KEY.fullmatch(key):
            message = f"option key {key!r} is not one DTMF key (a digit 0-9, * or #)"
            found.append(Violation(node_id, Rule.OPTION_KEY, message))
        if child not in nodes:
            hint = _did_you_mean(child, nodes)
            message = f"option {key} leads to node {child!r}, which is not defined{hint}"
            found.append(Violation(node_id, Rule.MISSING_NODE, message))
    return found


def _did_you_mean(name: str, known: Mapping[str, object]) -> str:
    close = difflib.get_close_matches(name, list(known), n=3, cutoff=0.7)
    return f" (did you mean {', '.join(repr(c) for c in close)}?)" if close else ""


def _reachable(menu: Menu) -> set[str]:
    seen = {menu.start}
    queue = deque([menu.start])
    while queue:
        for child in menu.nodes[queue.popleft()].options.values():
            if child in menu.nodes and child not in seen:
                seen.add(child)
                queue.append(child)
    return seen


def _cycles(menu: Menu) -> list[Violation]:
    """One violation per option that leads back to a node on the way to it."""
    found: list[Violation] = []
    done: set[str] = set()
    order = [menu.start, *(n for n in menu.nodes if n != menu.start)]
    for root in order:
        if root in done:
            continue
        path: list[str] = [root]
        stack: list[Iterator[tuple[str, str]]] = [iter(menu.nodes[root].options.items())]
        while stack:
            step = next(stack[-1], None)
            if step is None:
                stack.pop()
                done.add(path.pop())
                continue
            key, child = step
            if child not in menu.nodes or child in done:
                continue
            if child in path:
                loop = [*path[path.index(child) :], child]
                message = f"option {key} leads back up: {' → '.join(loop)}"
                found.append(Violation(path[-1], Rule.CYCLE, message))
                continue
            path.append(child)
            stack.append(iter(menu.nodes[child].options.items()))
    return found


# --- The rules of the service standard ---------------------------------------------------------
Durations = Callable[[str], float]


def validate_menu(
    menu: Menu,
    ivr: IvrSettings,
    *,
    catalogue: Catalogue,
    durations: Durations,
    voice: str,
) -> list[Violation]:
    """Every violation of ``menu`` with the limits of ``ivr`` and the prompt durations of one
    voice (``durations(prompt_id)`` in seconds, measured on the rendered audio; it may raise
    :class:`PromptsNotBuilt` or ``KeyError``); ``voice`` labels the messages."""
    found = structure_violations(menu)
    reserved = {
        ivr.operator_key: "the operator (ivr.operator_key)",
        ivr.back_key: "back (ivr.back_key)",
        ivr.main_key: "the main menu (ivr.main_key)",
    }
    limit = ivr.max_level_speech_seconds
    walked = list(menu.walk())
    in_tree = {node.id for node, _ in walked}
    rest = [node for node_id, node in menu.nodes.items() if node_id not in in_tree]
    for node, level in [*walked, *((node, 0) for node in rest)]:
        if node.kind is NodeKind.MENU and level:
            if level > ivr.max_levels:
                message = (
                    f"menu at level {level} (limit {ivr.max_levels} menu levels; "
                    f"the operator is level {ivr.max_levels + 1})"
                )
                found.append(Violation(node.id, Rule.MAX_LEVELS, message, float(level)))
            count = len(node.options)
            if count > ivr.max_options:
                message = f"{count} options (limit {ivr.max_options})"
                found.append(Violation(node.id, Rule.MAX_OPTIONS, message, float(count)))
            for key in node.options:
                if key in reserved:
                    message = f"option on key {key!r} is reserved for {reserved[key]}"
                    found.append(Violation(node.id, Rule.RESERVED_KEY, message))
        if node.prompts is None:
            continue
        for variant, prompt_id in node.prompts.items():
            try:
                catalogue.require(prompt_id, f'menu {menu.source} node "{node.id}"')
            except UnknownPrompt as exc:
                found.append(Violation(node.id, Rule.UNKNOWN_PROMPT, str(exc)))
                continue
            try:
                seconds = durations(prompt_id)
            except (PromptsNotBuilt, KeyError):
                message = (
                    f"{variant} prompt {prompt_id} is not built for voice {voice}: "
                    "run `hotline prompts build`"
                )
                found.append(Violation(node.id, Rule.NOT_BUILT, message))
                continue
            if seconds > limit:
                message = (
                    f"{_seconds(seconds, limit)} s of speech in the {variant} prompt {prompt_id} "
                    f"(limit {limit:g} s, voice {voice})"
                )
                found.append(
                    Violation(node.id, Rule.MAX_LEVEL_SPEECH_SECONDS, message, round(seconds, 3))
                )
    return found


def _seconds(seconds: float, limit: float) -> str:
    """One decimal, or two when one would not show that ``seconds`` exceeds ``limit``."""
    shown = f"{seconds:.1f}"
    return shown if float(shown) > limit else f"{seconds:.2f}"


def voice_label(library: PromptLibrary, voice: str) -> str:
    """``rhvoice-anna``: how messages name a voice (its build directory)."""
    return voice_dir_name(library.backend_name, voice)


def load_and_validate(
    path: Path,
    settings: Settings,
    library: PromptLibrary,
    voices: Sequence[str] | None = None,
) -> Menu:
    """Load ``path`` and check it against ``settings.ivr`` and the catalogue, with the rendered
    prompts of each of ``voices`` (default: the configured voice); raises :class:`MenuError`
    with every violation (a broken catalogue raises its own ``CatalogueError``)."""
    return check_menu(load_menu(path), settings, library, voices)


def parse_and_validate(
    text: str,
    source: str,
    settings: Settings,
    library: PromptLibrary,
    voices: Sequence[str] | None = None,
) -> Menu:
    """:func:`load_and_validate` on text already read (a published menu version)."""
    return check_menu(parse_menu(text, source), settings, library, voices)


def check_menu(
    menu: Menu,
    settings: Settings,
    library: PromptLibrary,
    voices: Sequence[str] | None = None,
) -> Menu:
    """``menu`` itself when it keeps every rule in each of ``voices``; else :class:`MenuError`."""
    chosen = list(voices) if voices else [settings.speech.voice]
    found: list[Violation] = []
    for voice in chosen:
        violations = validate_menu(
            menu,
            settings.ivr,
            catalogue=library.catalogue,
            durations=partial(library.duration, voice=voice),
            voice=voice_label(library, voice),
        )
        found.extend(v for v in violations if v not in found)
    if found:
        raise MenuError(found, menu.source)
    return menu
