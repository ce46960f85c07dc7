"""The one vocabulary (issue 18, item 1): every enum whose values reach a person has a Russian
label for every value, found by walking the code base (a new enum cannot be forgotten)."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
from enum import Enum
from pathlib import Path
from types import ModuleType
from typing import Final

import pytest

from hotline.core import vocabulary
from hotline.core.vocabulary import LABELS, describe, label

ROOT: Final = Path(__file__).resolve().parents[2]
PACKAGES: Final = ("hotline", "dialer", "ivr")

# Enums no person reads as a code, each with the reason.
INTERNAL: Final[dict[str, str]] = {
    "hotline.dialplan.names.ChannelVar": "channel variable names: the dialplan's contract",
    "hotline.dialplan.names.IvrStatus": "HOTLINE_STATUS between the engine and the dialplan",
    "hotline.dialplan.names.MenuEventKind": "the rendered menu levels' UserEvents to the engine; "
    "the call log stores them as EventKind",
    "hotline.protocol.agi.AgiCode": "AGI reply codes on the wire",
    "hotline.speech.wording.Severity": "the developer's wording check (CLI, English)",
    "hotline.speech.greeting.PartOfDay": "picks a greeting prompt; callers hear the prompt",
    "hotline.settings.sections.AmiRole": "names of AMI users in the Asterisk config",
    "hotline.settings.engine.LoopKind": "the event loop library in the settings file (asyncio, "
    "uvloop): a developer's name, like the CLI's formats",
    "hotline.cli.ivr_cmd.Format": "a command-line option's values (csv, json...)",
    "hotline.cli.say_cmd.Kind": "a command-line argument's values (money, date...)",
    "dialer.repository.campaigns.Action": "transition names; their audit entries are labelled "
    "as AuditAction campaign.*",
    "hotline.store.held_rows.Kept": "what became of a held row, for the code that answers "
    "the person (the console words its own message for each)",
    "ivr.dialog.Next": "the IVR's control flow",
    "ivr.dialog.ReadBack": "the IVR's control flow",
    "ivr.menu.model.Action": "the menu file's keywords; the editor labels them as MenuAction "
    "(the name Action is dialer.repository.campaigns.Action's too)",
    "ivr.menu.model.After": "the menu file's own keywords, typed by its author",
    "ivr.menu.structure.Rule": "menu validation rule ids in the developer's CLI",
    "ivr.menu.levels.Variant": "the suffix of a rendered level's context: when a key came",
    "ivr.menu.loader.Unreadable": "menu file loading errors in the developer's CLI",
    "ivr.disclosure.Factor": "which proof the IVR asks a caller for; callers hear prompts",
    "hotline.protocol.sms.Encoding": "SMS coding on the wire to Kannel (GSM-7, UCS-2)",
    "hotline.protocol.sms.DlrType": "Kannel's delivery-report type numbers; stored as SmsStatus",
    "hotline.web.charts.Step": "a chart's slot size; the axis title is X_LABELS",
    "hotline.store.notify.NotifyChannel": "PostgreSQL LISTEN/NOTIFY channel names between "
    "processes; the reasons sent on them are labelled as WakeReason",
}


def _modules() -> list[ModuleType]:
    found = []
    for package in PACKAGES:
        root = importlib.import_module(package)
        for info in pkgutil.walk_packages(root.__path__, prefix=f"{package}."):
            if info.name.rsplit(".", 1)[-1] == "__main__" or ".migrations." in info.name:
                continue
            found.append(importlib.import_module(info.name))
    return found


def _enums() -> dict[str, type[Enum]]:
    enums: dict[str, type[Enum]] = {}
    for module in _modules():
        for _name, value in inspect.getmembers(module, inspect.isclass):
            if issubclass(value, Enum) and value.__module__ == module.__name__:
                enums[f"{value.__module__}.{value.__qualname__}"] = value
    return enums


ENUMS: Final = _enums()


def test_the_walk_finds_the_enums_people_see() -> None:
    for name in (
        "dialer.model.Reason",
        "hotline.store.enums.EventKind",
        "hotline.access.users.Role",
    ):
        assert name in ENUMS
    assert set(INTERNAL) <= set(ENUMS), "an excluded enum no longer exists: drop it"


@pytest.mark.parametrize("name", sorted(set(ENUMS) - set(INTERNAL)))
def test_every_value_has_a_russian_label(name: str) -> None:
    enum = ENUMS[name]
    labels = LABELS.get(enum.__name__)
    assert labels is not None, (
        f"{name}: no vocabulary {enum.__name__!r} in hotline.core.vocabulary"
    )
    missing = [m.value for m in enum if m.value not in labels]
    assert not missing, f"{name}: no label for {missing}"
    extra = set(labels) - {str(m.value) for m in enum}
    assert not extra, f"{name}: labels for values that do not exist: {extra}"


def test_labels_are_russian() -> None:
    for vocabulary_name, labels in LABELS.items():
        for code, text in labels.items():
            assert re.search("[а-яё]", text), f"{vocabulary_name}.{code}: {text!r}"


def test_device_states_are_labelled() -> None:
    from hotline.contact_center.operators import DEVICE_STATES

    assert set(DEVICE_STATES.values()) | {"paused"} <= set(LABELS["DeviceState"])


def test_every_queue_kpi_has_a_label() -> None:
    from hotline.contact_center.kpi import CallType

    source = (ROOT / "hotline" / "contact_center" / "kpi.py").read_text(encoding="utf-8")
    names = set(re.findall(r'Kpi\(\s*"([a-z_]+)"', source))
    names |= {f"handling_time_{t.value}" for t in CallType}
    assert "service_level" in names and names <= set(LABELS["Kpi"])


def _audit_actions() -> set[str]:
    """Every audit action the code writes: literal ones, and the f-string families with their
    known suffixes."""
    from dialer.operations import ACTIONS
    from hotline.contact_center.operators import QUEUE_ACTIONS

    actions: set[str] = set()
    literal = re.compile(
        r'(?:audit\.write|_audit\.write|AuditLog\(db\)\.write)\(\s*\w+,\s*"([a-z_.]+)"'
    )
    family = re.compile(r'recordings\.audit\(\s*"([a-z_]+)"|_audit\(db, by, "([a-z_]+)"')
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            text = path.read_text(encoding="utf-8")
            actions.update(literal.findall(text))
            for recording, campaign in family.findall(text):
                actions.add(f"recordings.{recording}" if recording else f"campaign.{campaign}")
    actions.update(f"campaign.{a}" for a in ACTIONS)
    actions.update(f"operator.{a}" for a in QUEUE_ACTIONS)
    return actions


def test_every_audit_action_has_a_label() -> None:
    actions = _audit_actions()
    assert {"user.add", "login.refused", "campaign.approve", "recordings.play"} <= actions
    missing = actions - set(LABELS["AuditAction"])
    assert not missing, f"audit actions without a label: {missing}"


def test_label_falls_back_to_the_code_and_fills_parameters() -> None:
    assert label("Reason", "busy") == "занято"
    assert label("Reason", "from_a_newer_version") == "from_a_newer_version"
    assert label("Reason", None) == ""
    assert describe("WaitReason", "retry", {"reason": "busy"}) == "повтор позже: занято"
    assert vocabulary.header("reason_label") == "причина"
    assert vocabulary.header("reason") == "reason"
