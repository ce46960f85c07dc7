"""Loading menu files: YAML read strictly, option keys normalised, the pydantic errors of
:mod:`ivr.menu.spec` turned into :class:`Violation` items naming the node and the rule, the runtime
:class:`Menu` built and its structure checked.  :func:`load_menu` and :func:`parse_menu` raise
:class:`MenuError` with every problem found."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml
from pydantic import ValidationError

from hotline.core.strict_yaml import load_strict
from ivr.menu.model import FINAL_ACTIONS, Action, After, Menu, MenuNode, NodeKind, NodePrompts
from ivr.menu.spec import FORMAT_VERSION, SPEC_OF_KIND, InfoSpec, MenuFileSpec, MenuSpec
from ivr.menu.structure import MenuError, Rule, Violation, choices, structure_violations


class Unreadable(StrEnum):
    """The ``rule`` of a :class:`Violation` when the file could not be read at all: no rule
    was broken, but it is reported the same way (the values are what messages print)."""

    FILE = "file"
    YAML = "yaml"


def load_menu(path: Path) -> Menu:
    """Read and check a menu file; :class:`MenuError` names each bad node and rule."""
    source = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise MenuError(
            [Violation("", Unreadable.FILE, f"cannot read {path}: {reason}")], source
        ) from exc
    return parse_menu(text, source)


def parse_menu(text: str, source: str = "<menu>") -> Menu:
    """:func:`load_menu` on text already read (``source`` names it in messages)."""
    try:
        data = load_strict(text)
    except yaml.YAMLError as exc:
        raise MenuError(
            [Violation("", Unreadable.YAML, f"not valid YAML: {exc}")], source
        ) from exc
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
    if rest and rest[0] in SPEC_OF_KIND:
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
        spec = SPEC_OF_KIND.get(str(kind))
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
            return Violation(node, Rule.ACTION, f"missing action ({choices(Action)})")
        if field_name == "options":
            return Violation(node, Rule.OPTIONS, "a menu needs options: {<key>: <node id>}")
        return Violation(node, Rule.SCHEMA, f"missing {'.'.join(map(str, rest))}")
    if field_name == "action" and kind_of == "enum":
        message = f"unknown action {error['input']!r} ({choices(Action)})"
        return Violation(node, Rule.ACTION, message)
    if field_name == "then" and kind_of == "enum":
        return Violation(node, Rule.THEN, f"unknown then {error['input']!r} ({choices(After)})")
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
                queue=node.queue,
                then=node.then or After.BACK,
            )
    texts = MappingProxyType({key: text.strip() for key, text in spec.prompts.items()})
    return Menu(spec.name, spec.start, MappingProxyType(nodes), source, texts)
