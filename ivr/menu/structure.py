"""The structure of a menu: :class:`Violation`, the :class:`Rule` it breaks, :class:`MenuError`
listing them, and the checks on the shape of the tree (node kinds, missing nodes, cycles, two
parents, reachability), whatever the settings and voices."""

from __future__ import annotations

import difflib
import re
from collections import deque
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from ivr.menu.model import NODE_ID_PATTERN, OPTION_KEY_PATTERN, Action, Menu, MenuNode, NodeKind

_NODE_ID: Final = re.compile(NODE_ID_PATTERN)
_OPTION_KEY: Final = re.compile(OPTION_KEY_PATTERN)


class Rule(StrEnum):
    """The ``rule`` of a :class:`Violation`: limits are named after their settings."""

    # Rules of the service standard, with their limits in ``settings.ivr``.
    MAX_LEVELS = "max_levels"
    MAX_OPTIONS = "max_options"
    MAX_LEVEL_SPEECH_SECONDS = "max_level_speech_seconds"
    RESERVED_KEY = "reserved_key"
    UNKNOWN_PROMPT = "unknown_prompt"
    NOT_BUILT = "not_built"
    FORBIDDEN_PHRASE = "forbidden_phrase"
    # Structure of the file and of the tree.
    VERSION = "version"
    SCHEMA = "schema"
    UNKNOWN_KEY = "unknown_key"
    KIND = "kind"
    ACTION = "action"
    REASON = "reason"
    QUEUE = "queue"
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
        found.append(Violation(node_id, Rule.ACTION, f"missing action ({choices(Action)})"))
    if node.kind is not NodeKind.ACTION and node.action is not None:
        found.append(Violation(node_id, Rule.ACTION, "only action nodes have an action"))
    if node.reason is not None and node.action is not Action.OPERATOR:
        found.append(Violation(node_id, Rule.REASON, "reason is for action operator only"))
    if node.queue is not None and node.action is not Action.OPERATOR:
        found.append(Violation(node_id, Rule.QUEUE, "queue is for action operator only"))
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


def choices(enum: type[StrEnum]) -> str:
    """``expected a, b, c``: the values of ``enum``, for messages."""
    return "expected " + ", ".join(member.value for member in enum)
