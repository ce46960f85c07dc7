"""``DialerStore``: the one object the engine, the CLI and the console use for the dialer's
tables.  It owns one repository per concern and forwards to it; each call is one unit of
work."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from dialer.contacts import ImportReport
from dialer.model import AttemptStatus, CampaignRules, CampaignState, Reason, Result, Scenario
from dialer.repository.attempts import Attempts
from dialer.repository.campaigns import Campaigns
from dialer.repository.contact_lists import ContactLists
from dialer.repository.dnc import DoNotCallList
from dialer.repository.limit_values import StoredLimits
from dialer.repository.records import Attempt, CampaignInfo, ScenarioVersion, Target
from dialer.repository.reports import ReportRows
from dialer.repository.scenarios import ScenarioVersions
from dialer.repository.targets import Targets
from hotline.store.db import Database


class DialerStore:
    def __init__(self, db: Database) -> None:
        self._db = db
        self._dnc = DoNotCallList(db)
        self._scenarios = ScenarioVersions(db)
        self._campaigns = Campaigns(db, self._scenarios)
        self._lists = ContactLists(db)
        self._targets = Targets(db)
        self._attempts = Attempts(db)
        self._limits = StoredLimits(db)
        self._reports = ReportRows(db)

    # --- do-not-call ----------------------------------------------------------------------
    async def dnc_add(self, phones: Iterable[str], by: str, reason: str, now: dt.datetime) -> int:
        return await self._dnc.add(phones, by, reason, now)

    async def dnc_numbers(self) -> frozenset[str]:
        return await self._dnc.numbers()

    # --- scenarios ------------------------------------------------------------------------
    async def add_scenario(
        self, name: str, scenario: Scenario, author: str, now: dt.datetime
    ) -> ScenarioVersion:
        return await self._scenarios.add(name, scenario, author, now)

    async def scenario(self, name: str, version: int | None = None) -> ScenarioVersion:
        return await self._scenarios.get(name, version)

    async def scenario_by_id(self, scenario_id: int) -> ScenarioVersion:
        return await self._scenarios.by_id(scenario_id)

    async def scenarios(self) -> list[ScenarioVersion]:
        return await self._scenarios.all()

    # --- campaigns ------------------------------------------------------------------------
    async def create_campaign(
        self,
        name: str,
        scenario_id: int,
        rules: CampaignRules,
        author: str,
        now: dt.datetime,
        *,
        starts_at: dt.datetime | None = None,
        ends_at: dt.datetime | None = None,
    ) -> CampaignInfo:
        return await self._campaigns.create(
            name, scenario_id, rules, author, now, starts_at=starts_at, ends_at=ends_at
        )

    async def campaign(self, name: str) -> CampaignInfo:
        return await self._campaigns.get(name)

    async def campaign_by_id(self, campaign_id: int) -> CampaignInfo:
        return await self._campaigns.by_id(campaign_id)

    async def campaigns(self, states: Sequence[CampaignState] | None = None) -> list[CampaignInfo]:
        return await self._campaigns.all(states)

    async def approve(self, name: str, by: str, now: dt.datetime) -> CampaignInfo:
        return await self._campaigns.approve(name, by, now)

    async def start(self, name: str, now: dt.datetime) -> CampaignInfo:
        return await self._campaigns.start(name, now)

    async def pause(self, name: str) -> CampaignInfo:
        return await self._campaigns.pause(name)

    async def resume(self, name: str) -> CampaignInfo:
        return await self._campaigns.resume(name)

    async def stop(self, name: str, now: dt.datetime) -> CampaignInfo:
        return await self._campaigns.stop(name, now)

    async def set_rules(self, name: str, rules: CampaignRules) -> CampaignInfo:
        return await self._campaigns.set_rules(name, rules)

    async def finish_if_done(self, campaign_id: int, now: dt.datetime) -> bool:
        return await self._campaigns.finish_if_done(campaign_id, now)

    async def end_campaign(self, campaign_id: int, now: dt.datetime) -> None:
        await self._campaigns.end(campaign_id, now)

    # --- contact lists --------------------------------------------------------------------
    async def attach_list(
        self,
        name: str,
        list_name: str,
        source: str,
        report: ImportReport,
        author: str,
        now: dt.datetime,
    ) -> int:
        return await self._lists.attach(name, list_name, source, report, author, now)

    async def contact_list(self, list_id: int) -> dict[str, Any]:
        return await self._lists.get(list_id)

    # --- dispatch -------------------------------------------------------------------------
    async def due_targets(self, campaign_id: int, now: dt.datetime, limit: int) -> list[Target]:
        return await self._targets.due(campaign_id, now, limit)

    async def target(self, target_id: int) -> Target:
        return await self._targets.get(target_id)

    async def defer(self, target_id: int, until: dt.datetime, waiting: str) -> None:
        await self._targets.defer(target_id, until, waiting)

    async def close_target(self, target_id: int, result: Result, reason: Reason) -> None:
        await self._targets.close(target_id, result, reason)

    async def emails_due(self, campaign_id: int, limit: int) -> list[tuple[Target, str]]:
        return await self._targets.emails_due(campaign_id, limit)

    async def email_done(
        self,
        target_id: int,
        sent: bool,
        now: dt.datetime,
        *,
        close_as: tuple[Result, Reason] | None,
    ) -> None:
        await self._targets.email_done(target_id, sent, now, close_as=close_as)

    async def limits(self) -> dict[str, float]:
        return await self._limits.all()

    async def set_limit(self, name: str, value: float, by: str, now: dt.datetime) -> None:
        await self._limits.set(name, value, by, now)

    # --- attempts -------------------------------------------------------------------------
    async def begin_attempt(
        self, target: Target, attempt_id: str, now: dt.datetime
    ) -> Attempt | None:
        return await self._attempts.begin(target, attempt_id, now)

    async def attempt(self, attempt_id: str) -> Attempt | None:
        return await self._attempts.get(attempt_id)

    async def inflight(self) -> list[Attempt]:
        return await self._attempts.inflight()

    async def inflight_counts(self) -> dict[int, int]:
        return await self._attempts.inflight_counts()

    async def last_call_to(self, phone: str) -> dt.datetime | None:
        return await self._attempts.last_call_to(phone)

    async def attempts_since(self, phone: str, since: dt.datetime) -> int:
        return await self._attempts.since(phone, since)

    async def mark_attempt(
        self,
        attempt_id: str,
        *,
        status: AttemptStatus | None = None,
        answered_at: dt.datetime | None = None,
        key_played: bool | None = None,
        confirmed: bool | None = None,
        transferred: bool | None = None,
    ) -> None:
        await self._attempts.mark(
            attempt_id,
            status=status,
            answered_at=answered_at,
            key_played=key_played,
            confirmed=confirmed,
            transferred=transferred,
        )

    async def end_attempt(
        self,
        attempt_id: str,
        *,
        status: AttemptStatus,
        result: Result | None,
        reason: Reason,
        cause: str | None,
        now: dt.datetime,
        retry_at: dt.datetime | None,
        final: bool,
        email_fallback: bool = False,
    ) -> bool:
        return await self._attempts.end(
            attempt_id,
            status=status,
            result=result,
            reason=reason,
            cause=cause,
            now=now,
            retry_at=retry_at,
            final=final,
            email_fallback=email_fallback,
        )

    # --- reports --------------------------------------------------------------------------
    async def target_counts(
        self, campaign_id: int
    ) -> list[tuple[str, str | None, str | None, int]]:
        return await self._reports.target_counts(campaign_id)

    async def attempt_counts(self, campaign_id: int) -> list[tuple[int, str, str | None, int]]:
        return await self._reports.attempt_counts(campaign_id)

    async def targets_detail(self, campaign_id: int) -> list[dict[str, Any]]:
        return await self._reports.targets_detail(campaign_id)

    async def attempts_detail(self, campaign_id: int) -> list[dict[str, Any]]:
        return await self._reports.attempts_detail(campaign_id)
