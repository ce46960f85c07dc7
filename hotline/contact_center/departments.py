"""Queues per department (R-097, R-032): the operators' queue and the others in
``queue.departments`` (at least the emergency dispatcher, around the clock), each with its own
Asterisk queue, answer target and hours.  Pure: settings in, answers out."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from hotline.contact_center.hours import END_OF_DAY, OperatorHours, parse_hours
from hotline.settings import QueueSettings


@dataclass(frozen=True)
class Department:
    id: str
    queue: str  # the Asterisk queue
    title: str
    answer_target: int
    emergency_answer_target: int
    # A daily window ("00:00-24:00"), or None: the operator hours with their calendar.
    hours: str | None

    def answer_target_now(self, emergency: bool) -> int:
        return self.emergency_answer_target if emergency else self.answer_target

    def is_open(self, at: datetime, operator_hours: OperatorHours, zone: ZoneInfo) -> bool:
        if self.hours is None:
            return operator_hours.is_open(at)
        local = at.astimezone(zone).time()
        return any(
            o.opens <= local and (local < o.closes or o.closes == END_OF_DAY)
            for o in parse_hours(self.hours, f"queue.departments.{self.id}.hours")
        )

    def to_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "queue": self.queue,
            "title": self.title,
            "answer_target": self.answer_target,
            "emergency_answer_target": self.emergency_answer_target,
            "hours": self.hours or "operator hours",
        }


def departments(settings: QueueSettings) -> dict[str, Department]:
    """Every department by id, the operators' first."""
    found = {
        settings.department: Department(
            settings.department,
            settings.name,
            settings.title,
            settings.answer_target,
            settings.emergency_answer_target,
            None,
        )
    }
    for key, spec in settings.departments.items():
        found[key] = Department(
            key,
            spec.name,
            spec.title,
            spec.answer_target,
            spec.emergency_answer_target,
            spec.hours,
        )
    return found


def department(settings: QueueSettings, key: str | None) -> Department:
    """The department a menu action names; None (or an id no longer configured): the
    operators' queue, so a caller always reaches a person."""
    known = departments(settings)
    return known.get(key or settings.department, known[settings.department])


def by_queue(settings: QueueSettings) -> dict[str, Department]:
    """Departments by their Asterisk queue name (queue events carry it)."""
    return {d.queue: d for d in departments(settings).values()}
