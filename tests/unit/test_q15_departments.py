"""R-097: queues per department (the operators', and the emergency dispatcher around the
clock), each with its own Asterisk queue, answer target and hours; menu actions name them."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from hotline.contact_center.departments import by_queue, department, departments
from hotline.contact_center.hours import OperatorHours
from hotline.dialplan.asterisk_config import RenderOptions, render_configs
from hotline.settings import HoursSettings, QueueSettings, Settings
from ivr.menu.loader import load_menu
from ivr.menu.standard import department_violations
from ivr.menu.structure import Rule
from tests.unit.test_menu_model import base, parse, problems

ZONE = ZoneInfo("Asia/Krasnoyarsk")
# Tuesday 3 March 2026, 03:00 local: operators (08:00-20:00 by default) are closed.
NIGHT = datetime(2026, 3, 3, 3, 0, tzinfo=ZONE).astimezone(UTC)
DAY = datetime(2026, 3, 3, 11, 0, tzinfo=ZONE).astimezone(UTC)


def test_the_settings_list_the_operators_and_the_dispatcher() -> None:
    found = departments(QueueSettings())
    assert list(found) == ["operators", "dispatcher"]
    operators, dispatcher = found.values()
    assert (operators.queue, operators.answer_target, operators.hours) == (
        "hotline-operators",
        40,
        None,
    )
    assert (dispatcher.queue, dispatcher.answer_target, dispatcher.hours) == (
        "hotline-dispatcher",
        40,
        "00:00-24:00",
    )
    assert set(by_queue(QueueSettings())) == {"hotline-operators", "hotline-dispatcher"}


def test_the_dispatcher_works_around_the_clock_operators_by_their_hours() -> None:
    hours = OperatorHours(HoursSettings())
    operators = department(QueueSettings(), None)
    dispatcher = department(QueueSettings(), "dispatcher")
    assert not operators.is_open(NIGHT, hours, ZONE) and operators.is_open(DAY, hours, ZONE)
    assert dispatcher.is_open(NIGHT, hours, ZONE) and dispatcher.is_open(DAY, hours, ZONE)
    assert dispatcher.answer_target_now(emergency=True) == 180


def test_a_department_with_its_own_window() -> None:
    queue = QueueSettings(
        departments={
            "billing": {"name": "hotline-billing", "title": "Расчёты", "hours": "09:00-13:00"}
        }
    )
    billing = department(queue, "billing")
    hours = OperatorHours(HoursSettings())
    assert billing.is_open(DAY, hours, ZONE) and not billing.is_open(NIGHT, hours, ZONE)
    # A department no longer configured: the operators' queue, so the caller reaches a person.
    assert department(queue, "dispatcher").id == "operators"


def test_departments_need_their_own_queue_names() -> None:
    with pytest.raises(ValidationError):
        QueueSettings(departments={"x": {"name": "hotline-operators", "title": "X"}})
    with pytest.raises(ValidationError):
        QueueSettings(departments={"operators": {"name": "hotline-x", "title": "X"}})


def test_the_rendered_config_has_every_queue() -> None:
    files = render_configs(Settings(), RenderOptions("a", "b", "c"))
    assert "[hotline-operators]" in files["queues.conf"]
    assert "[hotline-dispatcher]" in files["queues.conf"]
    operator = files["extensions.conf"].split("[hotline-operator]", 1)[1]
    assert (
        'ExecIf($["${HOTLINE_DEPARTMENT}" = "dispatcher"]?Set(QNAME=hotline-dispatcher))'
        in operator
    )
    # Option b: each operator's SIP leg reports its voice quality (desk2, R-135).
    assert "Queue(${QNAME},rctb(hotline-quality^push^1(operator)),,,${TARGET})" in operator
    assert "Queue(hotline-operators" not in operator


def test_the_default_menu_sends_outage_reports_to_the_dispatcher() -> None:
    menu = load_menu(Path("menus/hotline.yaml"))
    report = menu.node("outages.report")
    assert (report.reason, report.queue) == ("outage", "dispatcher")
    assert department_violations(menu, Settings()) == []


def test_a_menu_naming_an_unknown_queue_is_refused() -> None:
    data = base()
    data["nodes"]["info.operator"]["queue"] = "billing"
    (violation,) = department_violations(parse(data), Settings())
    assert (violation.node, violation.rule) == ("info.operator", Rule.QUEUE)


def test_queue_is_for_operator_actions_only() -> None:
    data = base()
    data["nodes"]["readings"]["queue"] = "dispatcher"
    assert [v.rule for v in problems(data)] == [Rule.QUEUE]
