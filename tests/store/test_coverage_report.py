"""R-105 coverage (issue 22) on SQLite and PostgreSQL: the target group's accounts surveyed
within 12 months, never surveyed, overdue and due soon, by the month they fall out of the
window; "surveyed" as the frequency cap counts it (a survey answer, or an operator call rated
after the call: one definition), and the cap of the post-call rating counting an outbound
survey too."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from dialer import coverage as survey_coverage
from dialer import scheduled
from dialer.model import TEMPLATES, CampaignKind, CampaignRules
from dialer.repository import DialerStore
from dialer.repository.coverage import MonthLapse, coverage
from dialer.repository.schedules import Schedules
from dialer.schedule import AccountFilter, ScheduleRunState
from hotline.settings import Settings, load_settings
from hotline.store.accounts import AccountRecord, AccountStore
from hotline.store.audit import Actor
from hotline.store.db import Database
from hotline.store.ratings import RatingStore, months_before
from hotline.store.surveys import SurveyStore

NOW = datetime(2026, 12, 4, 3, 0, tzinfo=UTC)
ZONE = ZoneInfo("Asia/Krasnoyarsk")
YEAR_AGO = months_before(NOW, 12)


def _account(number: str, phones: tuple[str, ...], debt: str = "0") -> AccountRecord:
    return AccountRecord(
        number,
        f"Абонент {number}",
        "",
        ZONE.key,
        Decimal(debt),
        None,
        None,
        None,
        None,
        phones,
        (),
    )


ACCOUNTS = [
    _account("3001", ("79130000001",)),  # surveyed exactly 12 months ago: still covered
    _account("3002", ("79130000002",)),  # surveyed 12 months and a second ago: overdue
    _account("3003", ("79130000003",)),  # rated an operator call (8-form caller ID) only
    _account("3004", ()),  # no phone: not in the target group
    _account("3005", ("79130000005",), "900"),  # one customer, two accounts, one phone
    _account("3006", ("79130000005",)),
    _account("3007", ("79130000007",)),  # never surveyed
    _account("3008", ("79130000009", "79130000008")),  # the second phone answered
]


async def _setup(db: Database) -> None:
    await db.upgrade()
    await AccountStore(db).upsert(ACCOUNTS)
    store = DialerStore(db)
    version = await store.add_scenario("poll", TEMPLATES[CampaignKind.SURVEY], "author", NOW)
    campaign = (await store.create_campaign("poll", version.id, CampaignRules(), "a", NOW)).id
    surveys = SurveyStore(db)
    await surveys.add(campaign, "a1", "+79130000001", "quality", 5, YEAR_AGO)
    await surveys.add(
        campaign, "a2", "+79130000002", "quality", 4, YEAR_AGO - timedelta(seconds=1)
    )
    await surveys.add(campaign, "a5", "+79130000005", "quality", 3, months_before(NOW, 5))
    # 11 and a half months ago: covered, but out of the window within a month.
    await surveys.add(campaign, "a8", "+79130000008", "quality", 5, NOW - timedelta(days=350))
    await RatingStore(db).add("c3", "89130000003", "anna", 5, months_before(NOW, 2))


async def test_coverage_counts_the_target_group_in_sql(db: Database) -> None:
    await _setup(db)
    result = await coverage(db, AccountFilter(), 12, NOW, ZONE)
    assert (result.group, result.covered, result.never, result.overdue) == (7, 5, 1, 1)
    assert result.uncovered == 2
    assert result.due_soon == 2  # 3001 (lapses now) and 3008
    assert result.percent == round(100 * 5 / 7, 1)
    # Every covered account falls out of the window in one of the next 12 months.
    assert len(result.months) == 12 and sum(m.count for m in result.months) == 5
    by_month = {m.month: m.count for m in result.months if m.count}
    assert by_month == {"2026-12": 2, "2027-07": 2, "2027-10": 1}
    assert result.months[0] == MonthLapse("2026-12", 2)


async def test_the_target_group_is_a_schedule_filter(db: Database) -> None:
    await _setup(db)
    debtors = await coverage(db, AccountFilter(min_debt=Decimal("500")), 12, NOW, ZONE)
    assert (debtors.group, debtors.covered) == (1, 1)
    everyone = await coverage(db, AccountFilter(has_phone=False), 12, NOW, ZONE)
    assert (everyone.group, everyone.never) == (8, 2)  # 3004 has no phone: never surveyed


async def test_the_uncovered_filter_picks_the_gap(db: Database) -> None:
    await _setup(db)
    settings = load_settings(overrides={"sandbox": {"enabled": False}})
    where = survey_coverage.uncovered_filter(settings)
    assert where.not_surveyed_months == 12 and where.has_phone
    picked = await Schedules(db).matching_accounts(where, NOW.date(), NOW)
    assert [(a.number, a.phone) for a in picked] == [
        ("3002", "79130000002"),
        ("3007", "79130000007"),
    ]
    assert "не опрошены за 12 мес." in where.describe()


async def test_the_post_call_rating_cap_counts_an_outbound_survey(db: Database) -> None:
    await _setup(db)
    ratings = RatingStore(db)
    since = months_before(NOW, 3)
    # Answered an outbound survey 5 months ago / a rating 2 months ago (any caller-ID form).
    assert not await ratings.rated_since("+79130000005", since)
    assert await ratings.rated_since("+79130000005", months_before(NOW, 6))
    assert await ratings.rated_since("79130000003", since)
    assert await ratings.rated_since("+79130000003", since)
    # The rating's cap is the survey cap: an outbound survey answered 10 days ago counts.
    surveys = SurveyStore(db)
    await surveys.add(1, "a9", "+79130000007", "quality", 5, NOW - timedelta(days=10))
    assert await ratings.rated_since("89130000007", since)


def test_the_settings_default_to_every_account_with_a_phone_and_12_months() -> None:
    settings = Settings()
    assert settings.coverage.window_months == 12
    assert survey_coverage.target_of(settings) == AccountFilter(has_phone=True)


async def test_the_monthly_schedule_builds_a_campaign_of_the_gap(db: Database) -> None:
    await _setup(db)
    settings = load_settings(overrides={"sandbox": {"enabled": False}})
    boris = Actor("boris", "cli")
    await survey_coverage.add_schedule(db, settings, "yearly", "poll", 5, boris)
    schedule = await Schedules(db).get("yearly")
    assert schedule.account_filter.not_surveyed_months == 12
    by = Actor("scheduler", "engine")
    built = await scheduled.build(db, settings, schedule, "2026-12", NOW.date(), by, now=NOW)
    assert built is not None and built.state is ScheduleRunState.STARTED
    assert built.detail["contacts"] == 2  # 3002 (overdue) and 3007 (never)
    store = DialerStore(db)
    campaign = await store.campaign("yearly-2026-12")
    phones = {row["phone"] for row in await store.targets_detail(campaign.id)}
    assert phones == {"+79130000002", "+79130000007"}
