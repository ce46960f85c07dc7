"""Helpers for dialer tests: a campaign set up in the store the way the CLI does it."""

from __future__ import annotations

import asyncio
import csv
from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from dialer.contacts import read_contacts
from dialer.model import CampaignKind, CampaignRules, CampaignState, Scenario, Step
from dialer.repository import CampaignRecord, DialerStore
from hotline.settings import HoursSettings
from hotline.store.accounts import AccountRecord, AccountStore
from hotline.store.db import Database

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)  # a Tuesday, 16:00 in Krasnoyarsk
# The installation's zone (hours.timezone): contacts without one are called in it.
ZONE = HoursSettings().timezone


class Clock:
    """A controllable clock for the dialer."""

    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at


def short_scenario(*, confirm: bool = False) -> Scenario:
    """Short on purpose: the amount is the key content; e2e calls stay a few seconds long."""
    return Scenario(
        kind=CampaignKind.DEBT,
        steps=(
            Step(prompt="campaign.debt.amount"),
            Step(say="money", var="amount", key=True),  # type: ignore[arg-type]
        ),
        confirm=confirm,
        operator_prompt=None,
    )


def write_csv(path: Path, rows: Sequence[dict[str, Any]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


async def running_campaign(
    store: DialerStore,
    tmp_path: Path,
    phones: Sequence[str],
    *,
    name: str = "test",
    scenario: Scenario | None = None,
    rules: CampaignRules | None = None,
    now: datetime = NOW,
    extra: dict[str, str] | None = None,
    start: bool = True,
) -> CampaignRecord:
    """A campaign over ``phones``, approved and (unless ``start`` is off) running."""
    scenario = scenario or short_scenario()
    version = await store.add_scenario(f"{name}-scenario", scenario, "author", now)
    await store.create_campaign(name, version.id, rules or CampaignRules(), "author", now)
    rows = [{"phone": p, "amount": "1234.50", **(extra or {})} for p in phones]
    path = write_csv(tmp_path / f"{name}.csv", rows)
    report = await asyncio.to_thread(
        read_contacts, path, scenario.variables(), region="RU", do_not_call=frozenset()
    )
    assert report.ok, report.errors
    await store.attach_list(name, f"{name}-list", str(path), report, "author", now)
    approved = await store.approve(name, "manager", now)
    if not start:
        return approved
    started = await store.start(name, now, default_zone=ZONE)
    assert started.state is CampaignState.RUNNING
    return started


async def wait_finished(store: DialerStore, name: str, within: float) -> CampaignRecord:
    async with asyncio.timeout(within):
        while True:
            campaign = await store.campaign(name)
            if campaign.state is CampaignState.FINISHED:
                return campaign
            await asyncio.sleep(0.2)


async def results(store: DialerStore, campaign_id: int) -> dict[str, tuple[str, str, int]]:
    """phone -> (result, reason, attempts)."""
    return {
        row["phone"]: (row["result"], row["reason"], row["attempts"])
        for row in await store.targets_detail(campaign_id)
    }


async def contract_accounts(db: Database, phones: dict[str, tuple[str, ...]]) -> None:
    """Billing accounts with their registered phones (digits only): the numbers in the
    contract (R-084)."""
    accounts = [
        AccountRecord(
            number,
            "",
            "",
            "Asia/Krasnoyarsk",
            Decimal("100"),
            None,
            None,
            None,
            None,
            registered,
            (),
        )
        for number, registered in phones.items()
    ]
    await AccountStore(db).upsert(accounts)
