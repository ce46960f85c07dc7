"""Editing a menu draft (the console's menu editor): add, remove and move nodes, set prompts
and actions, on the menu file's own data, and the tree the editor draws.

A draft may break the rules while it is being edited (five options on a level, a new menu
without options yet): these functions only keep it a readable menu file, and the validator
(:func:`ivr.menu.standard.validate_text`) says what is wrong, node by node.  Own prompts
(``prompts:``) no node uses any more are dropped on every change.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Final

import yaml

from hotline.core.strict_yaml import load_strict
from ivr.menu.model import NODE_ID_PATTERN, OPTION_KEY_PATTERN, PROMPT_ID_PATTERN, Action, NodeKind
from ivr.menu.spec import OWN_TEXT_MAX

OWN_PREFIX: Final = "own."
_NODE_ID: Final = re.compile(NODE_ID_PATTERN)
_KEY: Final = re.compile(OPTION_KEY_PATTERN)
_PROMPT_ID: Final = re.compile(PROMPT_ID_PATTERN)


class DraftError(ValueError):
    """The change cannot be made (the message is for the supervisor, in Russian)."""


Data = dict[str, Any]
Change = Callable[[Data], object]


def load(text: str) -> Data:
    """The draft's data; DraftError when it is no menu file at all."""
    try:
        data = load_strict(text)
    except yaml.YAMLError as exc:
        raise DraftError(f"текст меню не читается как YAML: {exc}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("nodes"), dict):
        raise DraftError("в тексте меню нет раздела nodes")
    for node in data["nodes"].values():
        options = node.get("options") if isinstance(node, dict) else None
        if isinstance(options, dict):
            node["options"] = {str(k): v for k, v in options.items()}
    return data


def dump(data: Data) -> str:
    _tidy(data)
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100)


def _nodes(data: Data) -> dict[str, Any]:
    nodes: dict[str, Any] = data["nodes"]
    return nodes


def _node(data: Data, node_id: str) -> dict[str, Any]:
    node = _nodes(data).get(node_id)
    if not isinstance(node, dict):
        raise DraftError(f"узла {node_id} нет в меню")
    return node


def _options(node: dict[str, Any]) -> dict[str, Any]:
    options = node.get("options")
    if not isinstance(options, dict):
        options = {}
        node["options"] = options
    return options


def _parents(data: Data, node_id: str) -> list[tuple[str, str]]:
    """``(parent id, key)`` of every option leading to ``node_id``."""
    found = []
    for parent_id, node in _nodes(data).items():
        options = node.get("options") if isinstance(node, dict) else None
        if isinstance(options, dict):
            found += [(parent_id, str(k)) for k, child in options.items() if child == node_id]
    return found


def _subtree(data: Data, node_id: str) -> list[str]:
    """``node_id`` and every node below it (each once)."""
    seen: list[str] = []
    stack = [node_id]
    while stack:
        current = stack.pop()
        if current in seen or current not in _nodes(data):
            continue
        seen.append(current)
        node = _nodes(data)[current]
        options = node.get("options") if isinstance(node, dict) else None
        if isinstance(options, dict):
            stack.extend(str(child) for child in options.values())
    return seen


def _prompt(data: Data, node_id: str, text: str | None, prompt_id: str | None) -> dict[str, str]:
    if text is not None and text.strip():
        spoken = " ".join(text.split())
        if len(spoken) > OWN_TEXT_MAX:
            raise DraftError(f"текст подсказки длиннее {OWN_TEXT_MAX} символов")
        own_id = OWN_PREFIX + node_id
        prompts = data.get("prompts")
        if not isinstance(prompts, dict):
            prompts = {}
            data["prompts"] = prompts
        prompts[own_id] = spoken
        return {"short": own_id, "detailed": own_id}
    if prompt_id:
        if not _PROMPT_ID.fullmatch(prompt_id):
            raise DraftError(f"неверный идентификатор подсказки {prompt_id!r}")
        return {"short": prompt_id, "detailed": prompt_id}
    raise DraftError("укажите подсказку: выберите её из каталога или введите текст")


def add_node(
    data: Data,
    *,
    parent: str,
    key: str,
    kind: str,
    node_id: str = "",
    action: str = "",
    text: str | None = None,
    prompt_id: str | None = None,
) -> str:
    """A new node on ``key`` of menu ``parent``; returns its id (default ``<parent>.<key>``)."""
    parent_node = _node(data, parent)
    if parent_node.get("kind") != NodeKind.MENU:
        raise DraftError(f"узел {parent} не меню: варианты есть только у меню")
    if not _KEY.fullmatch(key):
        raise DraftError(f"клавиша {key!r}: одна цифра 0-9, * или #")
    options = _options(parent_node)
    if key in {str(k) for k in options}:
        raise DraftError(f"клавиша {key} в меню {parent} уже занята")
    node_id = node_id.strip() or f"{parent}.{key}"
    if not _NODE_ID.fullmatch(node_id):
        raise DraftError(f"идентификатор узла {node_id!r}: строчные латинские буквы, цифры, _ и .")
    if node_id in _nodes(data):
        raise DraftError(f"узел {node_id} уже есть в меню")
    node: dict[str, Any] = {"kind": kind}
    if kind == NodeKind.ACTION:
        node["action"] = _action(action)
        if (text and text.strip()) or prompt_id:
            node["prompt"] = _prompt(data, node_id, text, prompt_id)
    elif kind in (NodeKind.MENU, NodeKind.INFO):
        node["prompt"] = _prompt(data, node_id, text, prompt_id)
        if kind == NodeKind.MENU:
            node["options"] = {}
    else:
        raise DraftError(f"неизвестный вид узла {kind!r}")
    _nodes(data)[node_id] = node
    options[key] = node_id
    return node_id


def _action(action: str) -> str:
    try:
        return Action(action).value
    except ValueError:
        raise DraftError(f"неизвестное действие {action!r}") from None


def remove_node(data: Data, node_id: str) -> list[str]:
    """Remove ``node_id``, the options leading to it and every node below it; returns them."""
    _node(data, node_id)
    if node_id == data.get("start"):
        raise DraftError("главное меню удалить нельзя")
    for parent_id, key in _parents(data, node_id):
        options = _options(_nodes(data)[parent_id])
        options.pop(key, None)
    removed = _subtree(data, node_id)
    for gone in removed:
        for parent_id, key in _parents(data, gone):
            if parent_id not in removed:
                _options(_nodes(data)[parent_id]).pop(key, None)
        del _nodes(data)[gone]
    return removed


def move_node(data: Data, node_id: str, *, parent: str, key: str) -> None:
    """Hang ``node_id`` (with what is below it) on ``key`` of menu ``parent`` instead."""
    _node(data, node_id)
    if node_id == data.get("start"):
        raise DraftError("главное меню переместить нельзя")
    if parent in _subtree(data, node_id):
        raise DraftError(f"узел {node_id} нельзя переместить внутрь него самого")
    target = _node(data, parent)
    if target.get("kind") != NodeKind.MENU:
        raise DraftError(f"узел {parent} не меню: варианты есть только у меню")
    if not _KEY.fullmatch(key):
        raise DraftError(f"клавиша {key!r}: одна цифра 0-9, * или #")
    if key in {str(k) for k in _options(target)}:
        raise DraftError(f"клавиша {key} в меню {parent} уже занята")
    for old_parent, old_key in _parents(data, node_id):
        _options(_nodes(data)[old_parent]).pop(old_key, None)
    _options(target)[key] = node_id


def set_prompt(
    data: Data, node_id: str, *, text: str | None = None, prompt_id: str | None = None
) -> None:
    node = _node(data, node_id)
    node["prompt"] = _prompt(data, node_id, text, prompt_id)


def set_action(data: Data, node_id: str, action: str, queue: str = "") -> None:
    node = _node(data, node_id)
    if node.get("kind") != NodeKind.ACTION:
        raise DraftError(f"узел {node_id} не действие")
    node["action"] = _action(action)
    if node["action"] == Action.OPERATOR and queue.strip():
        node["queue"] = queue.strip()
    else:
        node.pop("queue", None)
        if node["action"] != Action.OPERATOR:
            node.pop("reason", None)
    if node["action"] in (Action.OPERATOR, Action.HANGUP):
        node.pop("then", None)


def _tidy(data: Data) -> None:
    """Drop own prompts no node uses; option keys as strings, menus' options in key order."""
    used: set[str] = set()
    for node in _nodes(data).values():
        if not isinstance(node, dict):
            continue
        prompt = node.get("prompt")
        if isinstance(prompt, dict):
            used.update(str(v) for v in prompt.values())
        options = node.get("options")
        if isinstance(options, dict):
            node["options"] = {str(k): v for k, v in sorted(options.items(), key=_key_order)}
    prompts = data.get("prompts")
    if isinstance(prompts, dict):
        kept = {k: v for k, v in prompts.items() if k in used}
        if kept:
            data["prompts"] = kept
        else:
            data.pop("prompts")


def _key_order(item: tuple[Any, Any]) -> str:
    return str(item[0])


def own_texts(data: Data) -> dict[str, str]:
    """The draft's own prompts: id -> text."""
    prompts = data.get("prompts")
    return {str(k): str(v) for k, v in prompts.items()} if isinstance(prompts, dict) else {}


# --- the tree the editor draws ----------------------------------------------------------------
@dataclass
class TreeNode:
    id: str
    kind: str
    key: str | None  # the key on the edge from the parent
    action: str | None
    prompt: str | None  # the short prompt's id
    text: str | None  # what the prompt says (own text or the catalogue's)
    children: list[TreeNode] = field(default_factory=list)


def tree(data: Data, texts: dict[str, str]) -> tuple[TreeNode | None, list[TreeNode]]:
    """The tree from the start node, and the nodes no option reaches (drawn apart).
    ``texts``: catalogue prompt id -> text, for labels."""
    nodes = _nodes(data)
    own = own_texts(data)
    placed: set[str] = set()

    def build(node_id: str, key: str | None) -> TreeNode:
        placed.add(node_id)
        raw = nodes.get(node_id)
        node = raw if isinstance(raw, dict) else {}
        prompt = node.get("prompt")
        prompt_id = str(prompt.get("short")) if isinstance(prompt, dict) else None
        text = None
        if prompt_id is not None:
            text = str(own.get(prompt_id) or texts.get(prompt_id) or "") or None
        found = TreeNode(
            node_id,
            str(node.get("kind", "?")),
            key,
            str(node["action"]) if "action" in node else None,
            prompt_id,
            text,
        )
        options = node.get("options")
        if isinstance(options, dict):
            for child_key, child in sorted(options.items(), key=_key_order):
                child_id = str(child)
                if child_id in placed or child_id not in nodes:
                    found.children.append(TreeNode(child_id, "missing", str(child_key), *_NONE))
                    continue
                found.children.append(build(child_id, str(child_key)))
        return found

    start = str(data.get("start", ""))
    root = build(start, None) if start in nodes else None
    rest = [build(str(n), None) for n in list(nodes) if str(n) not in placed]
    return root, rest


_NONE: Final = (None, None, None)
