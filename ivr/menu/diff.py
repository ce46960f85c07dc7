"""What changed between two menu versions, in one line for the version history."""

from __future__ import annotations

from ivr.menu.model import Menu, MenuNode

NO_CHANGES = "no changes to nodes, options or prompts"


def summarize_diff(old: Menu | None, new: Menu) -> str:
    """E.g. ``added node info.x; main: option 4 outages -> emergencies; prompt of info
    changed``; ``first version: N nodes`` when there is no ``old``."""
    if old is None:
        return f"first version: {len(new.nodes)} nodes"
    parts: list[str] = []
    if old.start != new.start:
        parts.append(f"start {old.start} -> {new.start}")
    added = [n for n in new.nodes if n not in old.nodes]
    removed = [n for n in old.nodes if n not in new.nodes]
    parts += [f"added node {n}" for n in added]
    parts += [f"removed node {n}" for n in removed]
    for node_id, node in new.nodes.items():
        before = old.nodes.get(node_id)
        if before is None:
            continue
        parts += _options(node_id, before, node)
        if before.prompts != node.prompts:
            parts.append(f"prompt of {node_id} changed")
        if (before.kind, before.action, before.reason, before.then) != (
            node.kind,
            node.action,
            node.reason,
            node.then,
        ):
            parts.append(f"{node_id} changed kind or action")
    return "; ".join(parts) or NO_CHANGES


def _options(node_id: str, before: MenuNode, after: MenuNode) -> list[str]:
    changes: list[str] = []
    for key in sorted({*before.options, *after.options}):
        was, now = before.options.get(key), after.options.get(key)
        if was == now:
            continue
        if was is None:
            changes.append(f"{node_id}: option {key} added ({now})")
        elif now is None:
            changes.append(f"{node_id}: option {key} removed ({was})")
        else:
            changes.append(f"{node_id}: option {key} {was} -> {now}")
    return changes
