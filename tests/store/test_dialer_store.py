"""The dialer's store on SQLite and PostgreSQL: versions, the immutable run copy, claiming a
target exactly once, and the dispatch order."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from dialer.model import AttemptStatus, CampaignRules, Reason, Result, TargetState
from dialer.repository import CampaignError, DialerStore, ScenarioNotFound
from hotline.store.db import Database
from tests.dialer_support import NOW, ZONE, running_campaign, short_scenario


@pytest.fixture
async def store(db: Database) -> DialerStore:
    await db.upgrade()
    return DialerStore(db)


async def test_scenarios_are_versioned(store: DialerStore) -> None:
    first = await store.add_scenario("debt", short_scenario(), "anna", NOW)
    second = await store.add_scenario("debt", short_scenario(confirm=True), "anna", NOW)
    assert (first.version, second.version) == (1, 2)
    assert (await store.scenario("debt")).scenario.confirm is True
    assert (await store.scenario("debt", 1)).scenario.confirm is False
    with pytest.raises(ScenarioNotFound):
        await store.scenario("nope")


async def test_run_keeps_its_copy_and_claims_once(store: DialerStore, tmp_path: Path) -> None:
    campaign = await running_campaign(store, tmp_path, ["+79131234561", "+79131234562"])
    # A newer scenario version does not reach the running campaign.
    await store.add_scenario("test-scenario", short_scenario(confirm=True), "anna", NOW)
    assert (await store.campaign("test")).snapshot == short_scenario()
    with pytest.raises(CampaignError):
        await store.start("test", NOW, default_zone=ZONE)  # already running

    due = await store.due_targets(campaign.id, NOW, limit=10)
    assert [t.phone for t in due] == ["+79131234561", "+79131234562"]
    first = await store.begin_attempt(due[0], "a1", NOW)
    assert first is not None and first.status is AttemptStatus.DIALING
    assert await store.begin_attempt(due[0], "a2", NOW) is None  # claimed already
    assert [t.phone for t in await store.due_targets(campaign.id, NOW, 10)] == ["+79131234562"]
    assert await store.inflight_counts() == {campaign.id: 1}
    assert await store.last_call_to("+79131234561") == NOW

    retry = NOW + timedelta(hours=1)
    closed = await store.end_attempt(
        "a1",
        status=AttemptStatus.ENDED,
        result=Result.NEGATIVE,
        reason=Reason.BUSY,
        cause="17",
        now=NOW,
        retry_at=retry,
        final=False,
    )
    assert closed
    again = await store.end_attempt(
        "a1",
        status=AttemptStatus.ENDED,
        result=Result.NEGATIVE,
        reason=Reason.BUSY,
        cause="17",
        now=NOW,
        retry_at=retry,
        final=True,
    )
    assert not again  # a late duplicate event changes nothing
    target = await store.target(due[0].id)
    assert (target.attempts, target.next_attempt_at) == (1, retry)
    assert await store.due_targets(campaign.id, NOW, 10) != []
    assert due[0].id not in [t.id for t in await store.due_targets(campaign.id, NOW, 10)]
    assert due[0].id in [t.id for t in await store.due_targets(campaign.id, retry, 10)]


async def test_deliver_by_closest_first(store: DialerStore, tmp_path: Path) -> None:
    rules = CampaignRules(deliver_by=NOW + timedelta(days=2))
    campaign = await running_campaign(
        store, tmp_path, ["+79131234561", "+79131234562"], rules=rules
    )
    targets = await store.due_targets(campaign.id, NOW, 10)
    assert all(t.deliver_by == NOW + timedelta(days=2) for t in targets)


async def test_stop_expires_the_rest(store: DialerStore, tmp_path: Path) -> None:
    campaign = await running_campaign(store, tmp_path, ["+79131234561"])
    await store.stop("test", NOW)
    rows = await store.targets_detail(campaign.id)
    assert [(r["state"], r["result"], r["reason"]) for r in rows] == [
        (TargetState.DONE, "negative", Reason.EXPIRED)
    ]


async def test_contacts_closest_to_their_deliver_by_go_first(
    store: DialerStore, tmp_path: Path
) -> None:
    path = tmp_path / "outage.csv"
    path.write_text(
        "phone,amount,deliver_by\n"
        "+79131234561,1,2026-11-30T10:00:00+07:00\n"
        "+79131234562,1,\n"
        "+79131234563,1,2026-11-26T10:00:00+07:00\n",
        encoding="utf-8",
    )
    from dialer.contacts import read_contacts

    scenario = short_scenario()
    report = read_contacts(path, scenario.variables(), region="RU", do_not_call=frozenset())
    assert report.ok, report.errors
    version = await store.add_scenario("outage", scenario, "anna", NOW)
    await store.create_campaign("outage", version.id, CampaignRules(), "anna", NOW)
    await store.attach_list("outage", "streets", str(path), report, "anna", NOW)
    await store.approve("outage", "boris", NOW)
    campaign = await store.start("outage", NOW, default_zone=ZONE)
    due = await store.due_targets(campaign.id, NOW, 10)
    assert [t.phone for t in due] == ["+79131234563", "+79131234561", "+79131234562"]
