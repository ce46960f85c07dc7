"""What the dialer's repositories return: frozen records mapped from the rows, so nothing
above the repositories holds an ORM object."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Final

from dialer.model import AttemptStatus, CampaignRules, CampaignState, Scenario, load_rules
from hotline.store.models import Campaign, CampaignTarget, DialAttempt
from hotline.store.models import Scenario as ScenarioRow

# Attempts whose call may still be alive.
INFLIGHT: Final = (AttemptStatus.DIALING.value, AttemptStatus.ANSWERED.value)


@dataclass(frozen=True)
class ScenarioRecord:
    id: int
    name: str
    version: int
    kind: str
    scenario: Scenario
    author: str
    created_at: dt.datetime


@dataclass(frozen=True)
class CampaignRecord:
    id: int
    name: str
    kind: str
    state: CampaignState
    scenario_id: int
    list_id: int | None
    rules: CampaignRules
    starts_at: dt.datetime | None
    ends_at: dt.datetime | None
    author: str
    approved_by: str | None
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    snapshot: Scenario | None


@dataclass(frozen=True)
class TargetRecord:
    """A contact of a running campaign (its frozen copy) and where it stands."""

    id: int
    campaign_id: int
    phone: str
    timezone: str
    variables: dict[str, str]
    attempts: int
    deliver_by: dt.datetime | None
    next_attempt_at: dt.datetime | None
    channel: str = "phone"


@dataclass(frozen=True)
class AttemptRecord:
    id: str
    campaign_id: int
    target_id: int
    number: int
    phone: str
    status: AttemptStatus
    created_at: dt.datetime
    key_played: bool
    confirmed: bool
    transferred: bool
    machine: bool = False  # AMD: an answering machine answered
    operator: str | None = None  # progressive: the operator who took the callee
    sent: bool = True  # its Originate went out, or may have (False: never sent)


def scenario_record(row: ScenarioRow) -> ScenarioRecord:
    return ScenarioRecord(
        row.id,
        row.name,
        row.version,
        row.kind,
        Scenario.model_validate(row.content),
        row.author,
        row.created_at,
    )


def campaign_record(row: Campaign) -> CampaignRecord:
    return CampaignRecord(
        id=row.id,
        name=row.name,
        kind=row.kind,
        state=CampaignState(row.state),
        scenario_id=row.scenario_id,
        list_id=row.list_id,
        rules=load_rules(row.rules),
        starts_at=row.starts_at,
        ends_at=row.ends_at,
        author=row.author,
        approved_by=row.approved_by,
        started_at=row.started_at,
        finished_at=row.finished_at,
        snapshot=(
            Scenario.model_validate(row.scenario_snapshot) if row.scenario_snapshot else None
        ),
    )


def target_record(row: CampaignTarget) -> TargetRecord:
    return TargetRecord(
        row.id,
        row.campaign_id,
        row.phone,
        row.timezone,
        dict(row.variables),
        row.attempts,
        row.deliver_by,
        row.next_attempt_at,
        row.channel,
    )


def attempt_record(row: DialAttempt) -> AttemptRecord:
    return AttemptRecord(
        row.id,
        row.campaign_id,
        row.target_id,
        row.number,
        row.phone,
        AttemptStatus(row.status),
        row.created_at,
        row.key_played,
        row.confirmed,
        row.transferred,
        row.machine,
        row.operator,
        row.sent,
    )
