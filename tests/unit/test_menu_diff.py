"""summarize_diff: the one-line change summary stored with each menu version."""

from __future__ import annotations

from ivr.menu.diff import NO_CHANGES, summarize_diff
from tests.unit.test_menu_model import base, parse


def test_first_version_counts_nodes() -> None:
    assert summarize_diff(None, parse(base())) == "first version: 6 nodes"


def test_no_changes() -> None:
    assert summarize_diff(parse(base()), parse(base())) == NO_CHANGES


def test_added_node_changed_option_and_prompt() -> None:
    new = base()
    new["nodes"]["info.x"] = {
        "kind": "info",
        "prompt": {"short": "info.tariffs", "detailed": "info.tariffs"},
    }
    new["nodes"]["info"]["options"]["3"] = "info.x"
    new["nodes"]["main"]["options"] = {"1": "readings", "2": "bye", "3": "info"}
    new["nodes"]["info"]["prompt"] = {"short": "info.menu", "detailed": "info.menu"}
    assert summarize_diff(parse(base()), parse(new)) == (
        "added node info.x; main: option 2 info -> bye; main: option 3 bye -> info; "
        "info: option 3 added (info.x); prompt of info changed"
    )


def test_removed_node_and_option() -> None:
    new = base()
    del new["nodes"]["info"]["options"]["2"]
    del new["nodes"]["info.operator"]
    assert summarize_diff(parse(base()), parse(new)) == (
        "removed node info.operator; info: option 2 removed (info.operator)"
    )


def test_changed_action() -> None:
    new = base()
    new["nodes"]["info.operator"]["reason"] = "menu"
    assert summarize_diff(parse(base()), parse(new)) == "info.operator changed kind or action"
