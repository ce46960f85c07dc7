"""IVR menus: the tree the runtime engine walks.

A menu is loaded from ``menus/*.yaml`` (:mod:`ivr.menu.loader`, format in
:mod:`ivr.menu.spec`), its shape checked (:mod:`ivr.menu.structure`) and its prompts measured
against the service standard (:mod:`ivr.menu.standard`).  Nodes are ``menu`` (options on keys,
played with a short prompt for experienced callers and a detailed one for first-time callers),
``info`` (a message, then back, to the main menu or hang up) and ``action`` (meter readings,
balance, operator, callback request, hang up; an action may play a prompt first).  The menus
form a tree: every node but the start has exactly one parent.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import Final

from hotline.core.errors import NotFound

# Node ids: lower-case latin letters, digits, "_" and "." (like prompt ids), starting with a
# letter.  A single DTMF key per option; the navigation keys are then refused by the rules.
NODE_ID_PATTERN: Final = r"^[a-z][a-z0-9_.]*$"
PROMPT_ID_PATTERN: Final = r"^[a-z0-9_.]+$"
OPTION_KEY_PATTERN: Final = r"^[0-9*#]$"
REASON_PATTERN: Final = r"^[a-z][a-z0-9_]*$"


class UnknownNode(NotFound):
    """The menu has no such node (or none reachable from its start)."""


class NodeKind(StrEnum):
    MENU = "menu"
    INFO = "info"
    ACTION = "action"


class Action(StrEnum):
    METER_READINGS = "meter_readings"
    ACCOUNT_BALANCE = "account_balance"
    OPERATOR = "operator"
    CALLBACK = "callback_request"
    # leave a message, registered as an appeal (ivr/voicemail.py)
    VOICEMAIL = "voicemail"
    HANGUP = "hangup"


class After(StrEnum):
    """Where the caller goes when an info node (or a returning action) is done."""

    BACK = "back"  # the parent menu
    MAIN = "main"  # the start menu
    HANGUP = "hangup"  # goodbye and hang up


# Actions after which the call does not come back to the menu: ``then`` means nothing there.
FINAL_ACTIONS: Final = frozenset({Action.OPERATOR, Action.HANGUP})


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
    # The department queue for ``action: operator`` (R-097); None = the operators'.
    queue: str | None = None
    then: After = After.BACK


@dataclass(frozen=True)
class Menu:
    name: str
    start: str
    nodes: Mapping[str, MenuNode]
    source: str = "<menu>"  # the file, for messages
    # The menu's own prompts (id -> text, ``prompts:`` in the file): typed in the menu editor
    # and synthesised with the configured voice, beside the catalogue's ids.
    texts: Mapping[str, str] = field(default_factory=_no_options)
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
            raise UnknownNode(
                f"menu {self.name!r} ({self.source}) has no node {node_id!r}"
            ) from None

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

    def catalogue_prompt_ids(self) -> set[str]:
        """The prompt ids the catalogue (and its build) must have: all but the menu's own."""
        return {prompt_id for prompt_id in self.prompt_ids() if prompt_id not in self.texts}

    def prompt_ids(self) -> set[str]:
        ids: set[str] = set()
        for node in self.nodes.values():
            if node.prompts is not None:
                ids.update((node.prompts.short, node.prompts.detailed))
        return ids

    def _reachable(self, node_id: str) -> None:
        self.node(node_id)
        if node_id not in self._parents:
            raise UnknownNode(
                f"node {node_id!r} is not reachable from {self.start!r} ({self.source})"
            )
