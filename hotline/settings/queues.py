"""Settings of the contact center's queues (one per department, R-097), its recordings and the
simulated callers and operators the sandbox uses."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, Field, model_validator

from hotline.settings.base import SECTION_CONFIG

# Department ids (menu actions' ``queue``, reports) and Asterisk queue names.


class _Section(BaseModel):
    model_config = SECTION_CONFIG


DEPARTMENT_ID = r"^[a-z][a-z0-9_]*$"
QUEUE_NAME = r"^[a-z][a-z0-9-]*$"
DAILY_WINDOW = r"^([01][0-9]|2[0-3]):[0-5][0-9]-(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$"


class DepartmentQueue(_Section):
    """Another department's queue beside the operators' (R-097: the emergency dispatcher),
    with its own answer target and hours."""

    # The Asterisk queue (queues.conf section).
    name: str = Field(pattern=QUEUE_NAME)
    # Shown in the console and the reports.
    title: str
    # Seconds the department should answer within (R-026: 40 s; 180 s in emergency peaks).
    answer_target: int = Field(default=40, gt=0)
    emergency_answer_target: int = Field(default=180, gt=0)
    # Local time window it takes calls, every day ("00:00-24:00": around the clock); None:
    # the operator hours (the hours section, with the calendar and overrides).
    hours: str | None = Field(default=None, pattern=DAILY_WINDOW)


def _default_departments() -> dict[str, DepartmentQueue]:
    # reports of no power go to the emergency dispatcher, who works around the clock.
    return {
        "dispatcher": DepartmentQueue(
            name="hotline-dispatcher", title="Аварийный диспетчер", hours="00:00-24:00"
        )
    }


class QueueSettings(_Section):
    # The operators' queue: the department every operator action reaches unless it names
    # another.
    name: str = Field(default="hotline-operators", pattern=QUEUE_NAME)
    department: str = Field(default="operators", pattern=DEPARTMENT_ID)
    title: str = "Операторы"
    # Other departments' queues by id (menu actions name them: ``queue: dispatcher``).
    departments: dict[str, DepartmentQueue] = Field(default_factory=_default_departments)
    # Seconds an operator should answer within (40 s; 180 s in emergency peaks).
    answer_target: int = 40
    emergency_answer_target: int = 180
    max_wait: int = 600
    # Queue announcements: the caller's position and expected wait, every N seconds.
    announce_frequency: int = 30
    # Seconds an operator's phone rings before the queue tries again.
    ring_timeout: int = 15
    # Share of calls offered that must be answered within 40 s (R-026: the seed asks it of
    # every call, 1.0).  A supervisor may set another; the report shows it as their choice.
    service_level_target: float = Field(default=1.0, gt=0.0, le=1.0)
    # The lost-call ratio must stay at or under this share (R-029; 003, item 79 g: 15 %).
    max_lost_ratio: float = 0.15
    # Average handling time targets by call type (003, item 79 d-f), seconds.
    handling_target_readings: int = 120
    handling_target_general: int = 180
    handling_target_personal: int = 300

    @model_validator(mode="after")
    def _distinct_departments(self) -> QueueSettings:
        names = [self.name, *(d.name for d in self.departments.values())]
        if len(set(names)) != len(names):
            raise ValueError("every department needs its own Asterisk queue name")
        for key in self.departments:
            if not re.fullmatch(DEPARTMENT_ID, key) or key == self.department:
                raise ValueError(f"bad department id {key!r}")
        return self


class OutageSettings(_Section):
    """Current outages an identified caller hears right after the greeting (R-097, R-032)."""

    # the department queue that takes outage reports (the emergency dispatcher).
    queue: str = Field(default="dispatcher", pattern=DEPARTMENT_ID)
    # The key that reaches it from the announcement (pressed during it or just after).
    dispatcher_key: str = Field(default="1", pattern=r"^[0-9*#]$")
    # Seconds the caller has for that key after the announcement; then the menu starts.
    key_wait: float = Field(default=3.0, ge=0.0, le=15.0)


class RecordingSettings(_Section):
    enabled: bool = True
    # Days a recording is kept; the daily purge job deletes older files and index rows.
    retention_days: int = 1095
    # Local time (hours.timezone) of the daily purge, "HH:MM".
    purge_at: str = Field(default="03:30", pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")
    # Export audio format: mp3 plays in every browser (sox with libsox-fmt-mp3).
    export_format: Literal["mp3", "ogg", "wav"] = "mp3"


class SimulateSettings(_Section):
    max_call_seconds: float = 120.0
    # How long the simulator lets a call sit in the operator queue before hanging up.
    queue_linger_seconds: float = 2.0


class SimOperatorSettings(_Section):
    """Sandbox-only simulated operators (`hotline operators add NAME --simulated`)."""

    # Seconds before a simulated operator answers (-1: never answers).
    answer_after: int = 2
    # Seconds a simulated operator talks before hanging up.
    handling_seconds: int = 5
